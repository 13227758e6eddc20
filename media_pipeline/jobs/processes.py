"""The Dagster processes that `media-pipeline serve` runs beside the API: started, watched,
restarted when one dies, and stopped.

- a code server (``dagster api grpc``) that loads ``media_pipeline.definitions`` once; the
  daemon launches each run from it as a child process,
- ``dagster-daemon`` (queued-run coordinator, run monitoring, sensors, schedules),
- ``dagster-webserver``: the Dagster UI (lineage, runs) and the GraphQL endpoint through
  which the API submits runs to the instance's queue.

All three share one ``workspace.yaml`` in the instance home, so queued runs keep their code
location name across restarts. :meth:`DagsterProcesses.supervise` starts a thread that polls
them: one that died is started again on the same port after a short back-off (doubling up to
``MAX_BACKOFF_S``), and :meth:`DagsterProcesses.status` says which are up.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from media_pipeline.jobs.instance import ensure_instance_home
from media_pipeline.settings import RuntimeSettings
from media_pipeline.store.paths import DataRoot

LOCATION_NAME = "media_pipeline"
REPOSITORY_NAME = "__repository__"
DEFINITIONS_MODULE = "media_pipeline.definitions"
UP, DOWN, RESTARTING = "up", "down", "restarting"
NAMES = ("code-server", "daemon", "webserver")
POLL_S = 0.5
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_S = 60.0
"""A process that stayed up this long starts its next back-off from the first step again."""
DAEMON_SETTLE_S = 3.0
"""A restarted daemon counts as up once it has stayed alive this long."""
RELOAD_EVERY_S = 3.0
"""How often a webserver without the code location loaded is asked to load it again."""


def _libc_prctl() -> Callable[..., int] | None:
    try:
        import ctypes

        prctl: Callable[..., int] = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


# Looked up here, not in the child: between fork and exec (maybe from a thread) the child
# must not import anything.
_PRCTL = _libc_prctl()
_SIGKILL = int(signal.SIGKILL)


def _die_with_parent() -> None:
    """In the child: be killed when `serve` dies, even by SIGKILL (Linux only)."""
    if _PRCTL is not None:
        _PRCTL(1, _SIGKILL)  # PR_SET_PDEATHSIG


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _graphql(ui_url: str, query: str) -> dict[str, Any] | None:
    request = urllib.request.Request(f"{ui_url}/graphql", data=json.dumps(
        {"query": query}).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            data = json.loads(resp.read()).get("data")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def location_loaded(ui_url: str) -> bool:
    """Whether the webserver at ``ui_url`` has our code location loaded (runs can be
    submitted through it)."""
    data = _graphql(ui_url, '{ repositoryOrError(repositorySelector: {repositoryLocationName: '
                            f'"{LOCATION_NAME}", repositoryName: "{REPOSITORY_NAME}"}}) '
                            '{ __typename } }')
    found = (data or {}).get("repositoryOrError") or {}
    return bool(found.get("__typename") == "Repository")


def reload_location(ui_url: str) -> None:
    """Ask the webserver to load the code location again (after the code server restarted)."""
    _graphql(ui_url, f'mutation {{ reloadRepositoryLocation(repositoryLocationName: '
                     f'"{LOCATION_NAME}") {{ __typename }} }}')


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


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Child:
    """One supervised process: how to start it, the current one, its state."""

    name: str
    cmd: list[str]
    proc: subprocess.Popen[bytes] | None = None
    state: str = DOWN
    started_at: float = 0.0
    restarts: int = 0
    backoff_s: float = FIRST_BACKOFF_S
    retry_at: float = 0.0
    reloaded_at: float = 0.0
    log: IO[bytes] | None = None

    @property
    def label(self) -> str:
        return self.name.replace("-", " ")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


@dataclass
class DagsterProcesses:
    """Code server + daemon + webserver for one data root; a context manager."""

    runtime: RuntimeSettings
    host: str = "127.0.0.1"
    ui_port: int | None = None
    log_dir: Path | None = None
    grpc_port: int = 0
    say: Callable[[str], None] = _stderr
    stop_timeout_s: float = 1.5
    """How long the daemon and the webserver get to stop after SIGTERM, before SIGKILL."""
    children: dict[str, Child] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _stop_deadline: float | None = None

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    @property
    def logs(self) -> Path:
        return self.log_dir or DataRoot.of(self.runtime).logs_dir

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DAGSTER_HOME"] = str(DataRoot.of(self.runtime).dagster_home)
        env["MEDIA_PIPELINE_DATA_DIR"] = str(self.runtime.data_dir)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self, daemon: bool = True) -> "DagsterProcesses":
        """Start the code server and the webserver, and the daemon unless ``daemon`` is False
        (then :meth:`start_daemon` later: `serve` first queues again the runs the last stop
        interrupted, before the daemon's run monitoring sees them)."""
        home = ensure_instance_home(DataRoot.of(self.runtime).dagster_home, self.runtime)
        self.grpc_port = free_port(self.host)
        self.ui_port = self.ui_port or free_port(self.host)
        workspace = write_workspace(home, self.host, self.grpc_port)
        self.logs.mkdir(parents=True, exist_ok=True)
        bin_dir = Path(sys.executable).parent
        self._add("code-server", [str(bin_dir / "dagster"), "api", "grpc", "-m",
                                  DEFINITIONS_MODULE, "-h", self.host, "-p",
                                  str(self.grpc_port), "--location-name", LOCATION_NAME,
                                  "--log-level", "warning"])
        self._wait_for_port(self.grpc_port, "code server")
        self._add("webserver", [str(bin_dir / "dagster-webserver"), "-h", self.host, "-p",
                                str(self.ui_port), "-w", str(workspace),
                                "--log-level", "warning"])
        self.children["daemon"] = Child("daemon", [str(bin_dir / "dagster-daemon"), "run",
                                                   "-w", str(workspace),
                                                   "--log-level", "warning"])
        if daemon:
            self.start_daemon()
        return self

    def start_daemon(self) -> None:
        with self._lock:
            self._spawn(self.children["daemon"])

    def _add(self, name: str, cmd: list[str]) -> None:
        child = self.children[name] = Child(name, cmd)
        self._spawn(child)

    def _spawn(self, child: Child) -> None:
        if child.log is not None:
            child.log.close()
        child.log = (self.logs / f"{child.name}.log").open("ab")
        child.proc = subprocess.Popen(child.cmd, env=self.env(), stdout=child.log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      cwd=str(self.runtime.data_dir), start_new_session=True,
                                      preexec_fn=_die_with_parent)
        child.started_at = time.monotonic()
        child.state = UP if child.restarts == 0 else RESTARTING

    def _check_alive(self) -> None:
        for child in self.children.values():
            if child.proc is not None and child.proc.poll() is not None:
                raise RuntimeError(f"the Dagster {child.label} exited with code "
                                   f"{child.proc.returncode}; see {self.logs / child.name}.log")

    def _wait_for_port(self, port: int, what: str, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            if port_open(self.host, port):
                return
            time.sleep(0.3)
        raise RuntimeError(f"the Dagster {what} did not start within {timeout_s:.0f} s")

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        """Block until the webserver answers and has loaded the code location."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._check_alive()
            if http_ok(f"{self.ui_url}/server_info") and location_loaded(self.ui_url):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the Dagster webserver did not answer within {timeout_s:.0f} s")

    # ------------------------------------------------------------------ supervision
    def supervise(self) -> None:
        """Watch the processes on a background thread; restart one that dies."""
        if self._thread is None:
            # The thread that spawns a child must live as long as the child: PDEATHSIG
            # fires when the spawning *thread* ends. This one ends only in stop().
            self._thread = threading.Thread(target=self._watch, name="dagster-supervisor",
                                             daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        while not self._stopping.wait(POLL_S):
            for child in list(self.children.values()):
                if not self._stopping.is_set():
                    self._check(child)

    def _check(self, child: Child) -> None:
        now = time.monotonic()
        if child.proc is None:
            return
        code = child.proc.poll()
        if code is None:
            if child.state == RESTARTING and self._ready(child, now):
                child.state = UP
                self.say(f"the Dagster {child.label} is up again (pid {child.proc.pid})")
                if child.name == "code-server":  # the webserver loads its code again
                    reload_location(self.ui_url)
            return
        if child.state != DOWN:  # just noticed
            if now - child.started_at > STABLE_S:
                child.backoff_s = FIRST_BACKOFF_S
            child.state = DOWN
            child.retry_at = now + child.backoff_s
            child.backoff_s = min(MAX_BACKOFF_S, child.backoff_s * 2)
            self.say(f"the Dagster {child.label} exited with code {code}; restarting")
        elif now >= child.retry_at:
            child.restarts += 1
            try:
                with self._lock:
                    if not self._stopping.is_set():
                        self._spawn(child)
            except OSError as exc:
                self.say(f"the Dagster {child.label} could not be started again: {exc}")
                child.retry_at = now + child.backoff_s

    def _ready(self, child: Child, now: float) -> bool:
        if child.name == "code-server":
            return port_open(self.host, self.grpc_port)
        if child.name == "webserver":
            if not http_ok(f"{self.ui_url}/server_info"):
                return False
            if location_loaded(self.ui_url):
                return True
            if now - child.reloaded_at >= RELOAD_EVERY_S:  # loaded while the code server
                child.reloaded_at = now                        # was down: load it again
                reload_location(self.ui_url)
            return False
        return now - child.started_at >= DAEMON_SETTLE_S

    def status(self) -> dict[str, str]:
        """For code-server, daemon and webserver: ``up``; ``down`` (dead; the supervisor
        starts it again after its back-off); ``restarting`` (started again, not ready yet)."""
        out = {}
        for name in NAMES:
            child = self.children.get(name)
            proc = child.proc if child is not None else None
            alive = proc is not None and proc.poll() is None
            out[name] = child.state if child is not None and alive else DOWN
        return out

    def pids(self) -> dict[str, int | None]:
        return {name: child.pid for name, child in list(self.children.items())}

    # ------------------------------------------------------------------ stopping
    def begin_stop(self) -> None:
        """Signal every process group to stop and return at once (see :meth:`stop`); the
        supervisor restarts nothing from now on. Safe to call from a signal handler."""
        self._stopping.set()
        if self._stop_deadline is None:
            self._stop_deadline = time.monotonic() + self.stop_timeout_s
        for child in list(self.children.values()):
            proc = child.proc
            if proc is not None and proc.poll() is None:
                sig = signal.SIGKILL if child.name == "code-server" else signal.SIGTERM
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)

    def stop(self) -> None:
        """Stop every process group: the code server (and the run workers it started) at once
        (``dagster api grpc`` waits for a shutdown RPC and ignores signals), the daemon and
        the webserver with SIGTERM, then SIGKILL ``stop_timeout_s`` after the first signal."""
        self.begin_stop()
        with self._lock:
            deadline = self._stop_deadline or time.monotonic()
            for child in self.children.values():
                proc = child.proc
                if proc is None:
                    continue
                try:
                    proc.wait(timeout=max(0.05, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
                if child.log is not None:
                    child.log.close()
            self.children.clear()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self._stop_deadline = None
        self._stopping.clear()

    def __enter__(self) -> "DagsterProcesses":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
