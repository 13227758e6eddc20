"""HTTP over a raw socket, for requests a client library would not send (a 3 GiB
Content-Length with a few bytes behind it, an endless chunked body), and a process's RSS."""

import select
import socket
import time
from dataclasses import dataclass
from pathlib import Path

BOUNDARY = "b0undary"
PREAMBLE = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.wav\"\r\n\r\n").encode()
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def rss_kb(pid: int) -> int:
    """Resident memory of process ``pid`` in KiB (``VmRSS`` of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def _head(path: str, content_type: str, token: str | None, length: int | None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Type: {content_type}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines.append(f"Content-Length: {length}" if length is not None
                 else "Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(reply: bytes) -> int | None:
    parts = reply.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@dataclass
class Reply:
    status: int | None
    seconds: float
    sent: int
    """Body bytes the client got out before the answer (or the reset)."""
    head: bytes = b""


def declared_upload(port: int, length: int, body: bytes = b"\0" * 65536,
                    token: str | None = None, path: str = "/api/jobs",
                    content_type: str = MULTIPART, wait_s: float = 10.0) -> Reply:
    """Headers that announce ``length`` bytes, then only ``body``; the answer's status
    (None when none came within ``wait_s``: the server is waiting for the body)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as s:
        s.sendall(_head(path, content_type, token, length))
        sent = 0
        if body:
            s.sendall(PREAMBLE + body)
            sent = len(PREAMBLE) + len(body)
        try:
            reply = s.recv(4096)
        except OSError:
            reply = b""
        return Reply(status_of(reply), time.monotonic() - started, sent, reply)


def stream_chunked(port: int, total: int, content_type: str, token: str | None = None,
                   path: str = "/api/jobs", chunk: int = 1 << 20) -> Reply:
    """Send up to ``total`` bytes as a chunked body until the server answers or hangs up."""
    started = time.monotonic()
    piece = b"\0" * chunk
    frame = f"{chunk:x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(_head(path, content_type, token, None))
        if content_type.startswith("multipart/"):
            s.sendall(f"{len(PREAMBLE):x}\r\n".encode() + PREAMBLE + b"\r\n")
        while sent < total:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            try:
                s.sendall(frame)
            except OSError:
                break
            sent += chunk
        try:
            s.settimeout(5)
            reply = s.recv(4096)
        except OSError:
            reply = b""
        return Reply(status_of(reply), time.monotonic() - started, sent, reply)
