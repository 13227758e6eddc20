"""The Dagster instance under the data root: its dagster.yaml, and opening it.

The file is generated from :class:`RuntimeSettings` (so ``MAX_MEDIA_JOBS`` and friends take
effect on the next start) for as long as it keeps its first line; delete that line to take
the file over by hand, and it is never rewritten again.
"""

import fcntl
import os
from pathlib import Path

import dagster as dg

from media_pipeline.atomic import write_text_atomic
from media_pipeline.errors import ConfigurationError
from media_pipeline.settings import POSTGRES_URL_ENV, RuntimeSettings, runtime_settings_from_env

MANAGED_MARKER = "# managed by media_pipeline"

INSTANCE_YAML = """\
{marker}: regenerated from the environment on every start; delete this line to edit by hand.
# Queued run coordinator: at most {max_runs} runs in progress (the seed's max_workers;
# MEDIA_PIPELINE_MAX_CONCURRENT_RUNS, 0 pauses launching). Steps in the `media` pool
# (ffmpeg/Demucs) run at most {media_jobs} at a time (MAX_MEDIA_JOBS).
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
run_launcher:
  module: media_pipeline.jobs.launcher
  class: LocalRunLauncher
  config:
    cancel_grace_seconds: {cancel_grace}
concurrency:
  runs:
    max_concurrent_runs: {max_runs}
  pools:
    default_limit: {media_jobs}
# A run whose worker process died is marked failed (LocalRunLauncher checks its pid).
run_monitoring:
  enabled: true
  poll_interval_seconds: 5
  start_timeout_seconds: 180
  cancel_timeout_seconds: 60
  max_resume_run_attempts: 0
  free_slots_after_run_end_seconds: 5
telemetry:
  enabled: false
"""

# Runs, event logs and schedules in PostgreSQL (the `scale` extra): many processes and
# machines can share the instance. The URL is read from the environment by every process
# that opens the instance, so no password is ever written here.
POSTGRES_STORAGE = f"""\
storage:
  postgres:
    postgres_url:
      env: {POSTGRES_URL_ENV}
"""


def instance_yaml(runtime: RuntimeSettings) -> str:
    text = INSTANCE_YAML.format(
        marker=MANAGED_MARKER, max_runs=runtime.max_concurrent_runs,
        media_jobs=runtime.max_media_jobs, cancel_grace=float(runtime.cancel_grace_s))
    if runtime.dagster_postgres_url:
        text += POSTGRES_STORAGE
    return text


def ensure_instance_home(home: Path, runtime: RuntimeSettings | None = None) -> Path:
    """Create ``home`` with a dagster.yaml from ``runtime`` (default: the environment).

    A file without the managed first line is left as it is.
    """
    runtime = runtime or runtime_settings_from_env()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = instance_yaml(runtime)
    try:
        current: str | None = config.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current is None or (current.startswith(MANAGED_MARKER) and current != text):
        write_text_atomic(config, text)
    return home


def check_postgres_url(url: str) -> None:
    """Refuse a URL Dagster's PostgreSQL storage cannot use, saying how to write it."""
    try:
        import dagster_postgres  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(f"{POSTGRES_URL_ENV} is set but dagster-postgres is not "
                                 "installed: pip install 'media_pipeline[scale]'") from exc
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme != "postgresql+psycopg2":
        # SQLAlchemy 2.1 gives plain postgresql:// to psycopg 3, whose server-side binding
        # breaks Dagster's NOTIFY; dagster-postgres is built on psycopg2.
        raise ConfigurationError(f"{POSTGRES_URL_ENV} must start with postgresql+psycopg2:// "
                                 "(e.g. postgresql+psycopg2://user:password@host:5432/dagster)")


_EXPORTED: list[str | None] = [None]
"""The PostgreSQL URL :func:`open_instance` last put in the environment (None: none)."""


def open_instance(home: Path, runtime: RuntimeSettings | None = None) -> dg.DagsterInstance:
    """The persistent instance in ``home``: SQLite files there, or PostgreSQL when
    ``dagster_postgres_url`` is set."""
    runtime = runtime or runtime_settings_from_env()
    if runtime.dagster_postgres_url:
        check_postgres_url(runtime.dagster_postgres_url)
        # dagster.yaml names the variable; the URL may have come from the data root's env
        # file (a cluster's), which Dagster does not read.
        os.environ[POSTGRES_URL_ENV] = runtime.dagster_postgres_url
        _EXPORTED[0] = runtime.dagster_postgres_url
    elif _EXPORTED[0] is not None and os.environ.get(POSTGRES_URL_ENV) == _EXPORTED[0]:
        # A data root without PostgreSQL, opened after a cluster's in the same process: the
        # URL we exported for that one must not make later settings read a PostgreSQL
        # instance (whose database cluster-down may have dropped).
        del os.environ[POSTGRES_URL_ENV]
        _EXPORTED[0] = None
    ensure_instance_home(home, runtime)
    # Two processes creating the SQLite storage at once both stamp its schema version, and
    # every later open then fails ("more than one head"): opens take turns.
    with (home / ".open.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return dg.DagsterInstance.from_config(str(home))
