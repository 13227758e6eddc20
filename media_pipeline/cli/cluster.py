"""``scripts/cluster-up`` and ``scripts/cluster-down``: a scaled deployment on one machine.

Up: a fresh PostgreSQL database for the Dagster instance (named after the data root), a
RabbitMQ virtual host of its own on the local broker (or ``--broker`` as given), N
``media-pipeline worker`` processes and ``media-pipeline serve`` (API, daemon, sensors).
The URLs go into the data root's ``media-pipeline.env``, so ``media-pipeline status`` and
workers started on other hosts find them; what was started goes into ``cluster.json``.

Down: serve, then the workers (each process group, SIGTERM then SIGKILL), then any process
still running for this data root, then the database and the virtual host.
"""

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from media_pipeline.automation.liveness import process_alive
from media_pipeline.jobs.processes import free_port, port_open
from media_pipeline.settings import (
    DATA_DIR_ENV_FILE,
    ENV_PREFIX,
    POSTGRES_URL_ENV,
    setting_specs,
)

STATE_FILE = "cluster.json"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/{vhost}"
STOP_WAIT_S = 20.0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cluster_name(data_dir: Path) -> str:
    """``mp_<folder name>_<hash of the path>``: a database and virtual host name per root."""
    stem = re.sub(r"[^a-z0-9]+", "_", data_dir.name.lower()).strip("_")[:30] or "data"
    return f"mp_{stem}_{hashlib.sha256(str(data_dir).encode()).hexdigest()[:8]}"


def _sql(admin_url: str, statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    try:
        conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def _rabbitmqctl(*args: str) -> bool:
    exe = shutil.which("rabbitmqctl")
    if exe is None:
        return False
    done = subprocess.run([exe, "-q", *args], capture_output=True, timeout=120, check=False)
    return done.returncode == 0


def _local_broker(name: str) -> str:
    """A virtual host of its own on the local RabbitMQ (started if it is not running), so
    two clusters on one broker never take each other's steps."""
    if not port_open("127.0.0.1", 5672) and shutil.which("rabbitmq-server"):
        subprocess.run(["rabbitmq-server", "-detached"], check=False, capture_output=True)
        _wait(lambda: port_open("127.0.0.1", 5672), 120, "RabbitMQ on 127.0.0.1:5672")
    if not (_rabbitmqctl("add_vhost", name) and
            _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")):
        raise RuntimeError("could not make a RabbitMQ virtual host (is rabbitmqctl here and "
                           "are we root?); give --broker instead")
    return LOCAL_AMQP.format(vhost=name)


def _wait(ready: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready within {timeout_s:.0f} s")
        time.sleep(0.3)


def _env_file(data_dir: Path, values: dict[str, str]) -> None:
    """The data root's env file: the cluster's URLs and limits, and the pipeline settings
    of this environment (workers must make the same fingerprints as the runs)."""
    known = {ENV_PREFIX + s.name.upper() for s in setting_specs()}
    lines = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k in known]
    lines += [f"{k}={v}" for k, v in values.items()]
    path = data_dir / DATA_DIR_ENV_FILE
    path.write_text("# written by scripts/cluster-up; removed by scripts/cluster-down\n"
                    + "\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def _spawn(cmd: list[str], log: Path, env: dict[str, str]) -> int:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    return proc.pid


def _api_up(port: int) -> bool:
    token = os.environ.get(ENV_PREFIX + "API_TOKEN")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/health", headers=(
        {"Authorization": f"Bearer {token}"} if token else {}))
    try:
        with urllib.request.urlopen(request, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def workers_ready(broker: str, count: int) -> bool:
    """Whether ``count`` workers answer a ping over ``broker``."""
    from media_pipeline.cli.worker import build_app

    app = build_app(broker)
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception:  # broker not answering yet
        return False
    finally:
        app.close()
    return len(replies) >= count


def prepare(data_dir: Path, workers: int, broker: str | None, admin_url: str,
            batch_size: int) -> dict[str, Any]:
    """A fresh database and virtual host, and the data root's env file; the state so far
    (``values``: the variables every process of the cluster gets)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "inbox").mkdir(exist_ok=True)
    if (data_dir / STATE_FILE).exists():
        raise RuntimeError(f"a cluster already runs on {data_dir}: scripts/cluster-down first")
    name = cluster_name(data_dir)
    state: dict[str, Any] = {"name": name, "admin_url": admin_url, "vhost": None,
                             "workers": [], "serve": None}
    _save(data_dir, state)
    _sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _sql(admin_url, f'CREATE DATABASE "{name}"')
    state["database"] = name
    if broker is None:
        state["vhost"] = name
        _save(data_dir, state)
        broker = _local_broker(name)
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://", 1)
    state["values"] = {POSTGRES_URL_ENV: f"{base}/{name}",
                       ENV_PREFIX + "CELERY_BROKER_URL": broker,
                       ENV_PREFIX + "MAX_CONCURRENT_RUNS": str(2 * max(1, workers)),
                       ENV_PREFIX + "MAX_MEDIA_JOBS": str(max(1, workers)),
                       ENV_PREFIX + "MAX_PARTITIONS_PER_RUN": str(batch_size)}
    _env_file(data_dir, state["values"])
    _save(data_dir, state)
    return state


def cluster_env(data_dir: Path, state: dict[str, Any]) -> dict[str, str]:
    """The environment of the cluster's processes."""
    return {**os.environ, **state["values"], ENV_PREFIX + "DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1"}


def start_serve(data_dir: Path, state: dict[str, Any], port: int = 0) -> None:
    """``media-pipeline serve`` (API, daemon, sensors); returns once its API answers."""
    exe = str(Path(sys.executable).parent / "media-pipeline")
    port = port or free_port()
    logs = data_dir / "logs"
    state["serve"] = _spawn([exe, "serve", "--data-dir", str(data_dir), "--port", str(port)],
                            logs / "serve.log", cluster_env(data_dir, state))
    state["api"] = f"http://127.0.0.1:{port}"
    _save(data_dir, state)
    _wait(lambda: _api_up(port), 240, f"media-pipeline serve (see {logs / 'serve.log'})")


def up(data_dir: Path, workers: int, broker: str | None, admin_url: str, port: int,
       batch_size: int) -> dict[str, Any]:
    """Start everything; return what ``cluster.json`` records."""
    state = prepare(data_dir, workers, broker, admin_url, batch_size)
    exe = str(Path(sys.executable).parent / "media-pipeline")
    for i in range(1, workers + 1):
        pid = _spawn([exe, "worker", "--data-dir", str(data_dir), "--name", f"worker{i}"],
                     data_dir / "logs" / f"worker{i}.log", cluster_env(data_dir, state))
        state["workers"].append(pid)
        _save(data_dir, state)
    broker_url = state["values"][ENV_PREFIX + "CELERY_BROKER_URL"]
    _wait(lambda: workers_ready(broker_url, workers), 120, f"{workers} worker(s)")
    start_serve(data_dir, state, port)
    return state


def _save(data_dir: Path, state: dict[str, Any]) -> None:
    (data_dir / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")


def stop_group(pid: int, timeout_s: float = STOP_WAIT_S) -> None:
    """SIGTERM the process group ``pid`` leads, SIGKILL it after ``timeout_s``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + (timeout_s if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline and process_alive(pid):
            time.sleep(0.2)
        if not process_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)  # what is left of its group
            return


def processes_of(data_dir: Path) -> list[int]:
    """Pids of processes whose environment names ``data_dir`` as their data root."""
    wanted = f"{ENV_PREFIX}DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def down(data_dir: Path) -> list[int]:
    """Stop what ``up`` started and drop its database; the pids that had to be killed."""
    path = data_dir / STATE_FILE
    state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if state.get("serve"):
        stop_group(int(state["serve"]))
    for pid in state.get("workers", []):
        stop_group(int(pid), timeout_s=5.0)
    strays = [p for p in processes_of(data_dir) if process_alive(p)]
    for pid in strays:  # a run or step process that outlived its parent
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if state.get("database"):
        _sql(state["admin_url"], f'DROP DATABASE IF EXISTS "{state["database"]}" WITH (FORCE)')
    if state.get("vhost"):
        _rabbitmqctl("delete_vhost", state["vhost"])
    for name in (STATE_FILE, DATA_DIR_ENV_FILE):
        (data_dir / name).unlink(missing_ok=True)
    return strays


def main(argv: list[str] | None = None) -> int:
    """``up --workers N --data-dir DIR [--broker URL]`` or ``down --data-dir DIR``."""
    parser = argparse.ArgumentParser(prog="cluster")
    sub = parser.add_subparsers(dest="action", required=True)
    u = sub.add_parser("up", help="start a PostgreSQL instance, broker, workers and serve")
    u.add_argument("--workers", type=int, default=2)
    u.add_argument("--data-dir", required=True)
    u.add_argument("--broker", default=None, help="amqp://… or redis://… (default: a vhost "
                                                  "of its own on the local RabbitMQ)")
    u.add_argument("--postgres-admin-url", default=ADMIN_URL,
                   help="a PostgreSQL URL allowed to create databases (default %(default)s)")
    u.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    u.add_argument("--batch-size", type=int, default=8,
                   help="files per run (small runs spread over the workers; default 8)")
    d = sub.add_parser("down", help="stop it all and drop the database")
    d.add_argument("--data-dir", required=True)
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir).resolve()
    if args.action == "down":
        strays = down(data_dir)
        _say(f"cluster on {data_dir} stopped" + (f" ({len(strays)} stray process(es) "
                                                  "killed)" if strays else ""))
        return 0
    try:
        state = up(data_dir, args.workers, args.broker, args.postgres_admin_url, args.port,
                   args.batch_size)
    except Exception as exc:  # whatever failed (database, broker, a process): undo it all
        _say(f"error: {exc}; stopping what was started")
        down(data_dir)
        return 1
    _say(f"cluster up: {args.workers} worker(s), API {state['api']}, database "
         f"{state['database']}; drop files into {data_dir / 'inbox'}; progress: "
         f"media-pipeline status --data-dir {data_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
