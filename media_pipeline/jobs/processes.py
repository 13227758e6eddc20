"""The Dagster processes that `media-pipeline serve` runs beside the API, started and stopped.

- a code server (``dagster api grpc``) that loads ``media_pipeline.definitions`` once; the
  daemon launches each run from it as a child process,
- ``dagster-daemon`` (queued-run coordinator, run monitoring, sensors, schedules),
- ``dagster-webserver``: the Dagster UI (lineage, runs) and the GraphQL endpoint through
  which the API submits runs to the instance's queue.

All three share one ``workspace.yaml`` in the instance home, so queued runs keep their code
location name across restarts.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from media_pipeline.jobs.instance import ensure_instance_home
from media_pipeline.settings import RuntimeSettings
from media_pipeline.store.paths import DataRoot

LOCATION_NAME = "media_pipeline"
DEFINITIONS_MODULE = "media_pipeline.definitions"


def _die_with_parent() -> None:
    """In the child: be killed when `serve` dies, even by SIGKILL (Linux only)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def write_workspace(home: Path, host: str, grpc_port: int) -> Path:
    path = home / "workspace.yaml"
    path.write_text(
        "# Written by `media-pipeline serve` on every start.\n"
        "load_from:\n"
        "  - grpc_server:\n"
        f"      host: {host}\n"
        f"      port: {grpc_port}\n"
        f"      location_name: {LOCATION_NAME}\n", encoding="utf-8")
    return path


@dataclass
class DagsterProcesses:
    """Code server + daemon + webserver for one data root; a context manager."""

    runtime: RuntimeSettings
    host: str = "127.0.0.1"
    ui_port: int | None = None
    log_dir: Path | None = None
    grpc_port: int = 0
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DAGSTER_HOME"] = str(DataRoot.of(self.runtime).dagster_home)
        env["MEDIA_PIPELINE_DATA_DIR"] = str(self.runtime.data_dir)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self) -> "DagsterProcesses":
        home = ensure_instance_home(DataRoot.of(self.runtime).dagster_home, self.runtime)
        self.grpc_port = free_port(self.host)
        self.ui_port = self.ui_port or free_port(self.host)
        workspace = write_workspace(home, self.host, self.grpc_port)
        logs = self.log_dir or DataRoot.of(self.runtime).logs_dir
        logs.mkdir(parents=True, exist_ok=True)
        bin_dir = Path(sys.executable).parent
        self._spawn("code-server", [str(bin_dir / "dagster"), "api", "grpc", "-m",
                                    DEFINITIONS_MODULE, "-h", self.host, "-p",
                                    str(self.grpc_port), "--location-name", LOCATION_NAME,
                                    "--log-level", "warning"], logs)
        self._wait_for_port(self.grpc_port, "code server")
        self._spawn("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", str(workspace),
                               "--log-level", "warning"], logs)
        self._spawn("webserver", [str(bin_dir / "dagster-webserver"), "-h", self.host, "-p",
                                  str(self.ui_port), "-w", str(workspace),
                                  "--log-level", "warning"], logs)
        return self

    def _spawn(self, name: str, cmd: list[str], logs: Path) -> None:
        log = (logs / f"{name}.log").open("ab")
        self._logs.append(log)
        proc = subprocess.Popen(cmd, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=str(self.runtime.data_dir),
                                start_new_session=True, preexec_fn=_die_with_parent)
        self.procs.append((name, proc))

    def _check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                logs = self.log_dir or DataRoot.of(self.runtime).logs_dir
                raise RuntimeError(f"the Dagster {name} exited with code {proc.returncode}; "
                                   f"see {logs / name}.log")

    def _wait_for_port(self, port: int, what: str, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex((self.host, port)) == 0:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"the Dagster {what} did not start within {timeout_s:.0f} s")

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        """Block until the webserver answers and has loaded the code location."""
        deadline = time.monotonic() + timeout_s
        url = f"{self.ui_url}/server_info"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Dagster webserver did not answer within {timeout_s:.0f} s")

    def stop(self, timeout_s: float = 1.5) -> None:
        """Stop every process group: the code server (and the run workers it started) at once
        (``dagster api grpc`` waits for a shutdown RPC and ignores signals), the daemon and
        the webserver with SIGTERM, then SIGKILL after ``timeout_s``."""
        for name, proc in self.procs:
            if proc.poll() is None:
                sig = signal.SIGKILL if name == "code-server" else signal.SIGTERM
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
        deadline = time.monotonic() + timeout_s
        for _name, proc in self.procs:
            try:
                proc.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> "DagsterProcesses":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
