"""``media-pipeline worker``: a Celery worker of Dagster's Celery executor, with our settings.

Runs' steps arrive on the broker (``MEDIA_PIPELINE_CELERY_BROKER_URL``) on the queues this
worker listens to (``default``, ``whisper`` for recognition, ``demucs`` for vocal
isolation). Each step runs inside one of the worker's pool processes (dagster-celery's
``execute_plan`` task), which keep the models they loaded from one step to the next.

A worker on another host needs the data root on a shared mount (``--data-dir``) and the
instance's PostgreSQL URL and the broker's URL, from its environment or from the data
root's ``media-pipeline.env`` (written by ``scripts/cluster-up``).
"""

import argparse
import json
import os
import resource
import socket
import time
from pathlib import Path
from typing import Any

from media_pipeline.asr.models import whisper_loads
from media_pipeline.audio.separation import separator_loads
from media_pipeline.cli.options import DATA_DIR_HELP, fail, runtime_from_args
from media_pipeline.resources.queues import QUEUES, celery_settings, result_backend
from media_pipeline.settings import ENV_PREFIX, POSTGRES_URL_ENV, data_dir_env
from media_pipeline.store.paths import DataRoot

BROKER_ENV = ENV_PREFIX + "CELERY_BROKER_URL"


def add_worker_parser(sub: Any) -> None:
    """Register ``worker``."""
    w = sub.add_parser("worker", help="run a Celery worker that executes pipeline steps "
                                      "(scale-out over a PostgreSQL instance and a broker)")
    w.add_argument("--data-dir", default=None, help=DATA_DIR_HELP + "; shared by every host")
    w.add_argument("--queues", default=",".join(QUEUES),
                   help="comma-separated queues to take steps from (default: %(default)s)")
    w.add_argument("--concurrency", type=int, default=1,
                   help="pool processes, each with its own models (default 1: one model "
                        "copy, all cores for it)")
    w.add_argument("--name", default=None, help="worker name (default: <host>-<pid>)")
    w.add_argument("--loglevel", default="WARNING", help="Celery log level")
    w.set_defaults(func=cmd_worker)


def stats_path(logs_dir: Path, hostname: str, pid: int) -> Path:
    """Where a pool process records its tasks, CPU time, memory and model loads."""
    return logs_dir / "workers" / f"{hostname}-{pid}.json"


def read_worker_stats(data_dir: Path) -> list[dict[str, Any]]:
    """Every pool process's last record under ``data_dir`` (see :func:`stats_path`)."""
    folder = DataRoot(data_dir).logs_dir / "workers"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def _record(logs_dir: Path, hostname: str, tasks: int) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = {"hostname": hostname, "pid": os.getpid(), "tasks": tasks,
             "whisper_loads": whisper_loads(), "demucs_loads": separator_loads(),
             "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
             "max_rss_mb": round(usage.ru_maxrss / 1024, 1), "at": time.time()}
    path = stats_path(logs_dir, hostname, os.getpid())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stats), encoding="utf-8")
    tmp.replace(path)


def _export_environment(data: DataRoot) -> None:
    """What the steps read from the environment: the data root, the instance (its
    dagster.yaml names the PostgreSQL URL's variable) and the data root's env file."""
    for key, value in data_dir_env(data.root).items():
        os.environ.setdefault(key, value)
    os.environ[ENV_PREFIX + "DATA_DIR"] = str(data.root)
    os.environ["DAGSTER_HOME"] = str(data.dagster_home)


def build_app(broker_url: str) -> Any:
    """dagster-celery's app and ``execute_plan`` task with our Celery settings."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    executor = CeleryExecutor.for_cli(  # type: ignore[no-untyped-call]
        broker=broker_url, backend=result_backend(broker_url), config_source=celery_settings())
    app = make_app(executor.app_args())  # type: ignore[no-untyped-call]
    create_task(app)  # type: ignore[no-untyped-call]
    return app


def cmd_worker(args: argparse.Namespace) -> int:
    runtime = runtime_from_args(args)
    if not runtime.celery_broker_url:
        return fail(f"no broker: set {BROKER_ENV} (amqp://… or redis://…) or run "
                    "scripts/cluster-up, which writes it into the data root")
    if not runtime.dagster_postgres_url:
        return fail(f"no shared instance: set {POSTGRES_URL_ENV} (workers on other hosts "
                    "write runs' events into it)")
    data = DataRoot.of(runtime)
    _export_environment(data)
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    name = args.name or f"{socket.gethostname()}-{os.getpid()}"
    app = build_app(runtime.celery_broker_url)
    _count_tasks(data.logs_dir, name)
    app.worker_main(["worker", "-Q", ",".join(queues), "-c", str(max(1, args.concurrency)),
                     "-n", f"{name}@%h", "--loglevel", args.loglevel, "--without-mingle",
                     "--without-gossip", "--prefetch-multiplier", "1"])
    return 0


def _count_tasks(logs_dir: Path, name: str) -> None:
    """After each task, a pool process rewrites its record (see :func:`stats_path`)."""
    from celery.signals import task_postrun

    done = {"tasks": 0}

    @task_postrun.connect(weak=False)
    def _after(**_: Any) -> None:
        done["tasks"] += 1
        _record(logs_dir, name, done["tasks"])
