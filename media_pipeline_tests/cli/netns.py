"""Test hosts on one machine: network namespaces joined to this one by veth pairs, and a
TCP forwarder bound to each veth's address here (PostgreSQL and RabbitMQ listen on
loopback only, and RabbitMQ's guest may only log in from loopback)."""

import contextlib
import socket
import subprocess
import threading
from dataclasses import dataclass, field


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def netns_permitted() -> str | None:
    """None when namespaces can be made here, else why not."""
    probe = "mp-probe"
    try:
        _ip("netns", "add", probe)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode(errors="replace").strip() if isinstance(
            exc, subprocess.CalledProcessError) else str(exc)
        return f"'ip netns add' is not permitted here ({detail}); needs root and iproute2"
    _ip("netns", "del", probe)
    return None


@dataclass
class Host:
    """Namespace ``name`` at ``addr``, reaching this machine at ``gateway`` only."""

    name: str
    index: int

    @property
    def gateway(self) -> str:
        return f"10.231.{self.index}.1"

    @property
    def addr(self) -> str:
        return f"10.231.{self.index}.2"

    def create(self) -> None:
        outside, inside = f"{self.name}-o", f"{self.name}-i"
        _ip("netns", "add", self.name)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", self.name)
        _ip("addr", "add", f"{self.gateway}/24", "dev", outside)
        _ip("link", "set", outside, "up")
        for args in (("addr", "add", f"{self.addr}/24", "dev", inside),
                     ("link", "set", inside, "up"), ("link", "set", "lo", "up")):
            _ip("netns", "exec", self.name, "ip", *args)

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", f"{self.name}-o")  # takes its peer with it
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("netns", "del", self.name)

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *argv]


@dataclass
class Forwarder:
    """Accepts on ``listen`` and pipes each connection to ``target``; a side that closes
    (a killed worker) closes the other, so the broker sees the consumer go."""

    listen: tuple[str, int]
    target: tuple[str, int]
    _server: socket.socket | None = None
    _open: list[socket.socket] = field(default_factory=list)

    def start(self) -> "Forwarder":
        self._server = socket.create_server(self.listen, reuse_port=False)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        assert self._server is not None
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for s in self._open:
            with contextlib.suppress(OSError):
                s.close()
