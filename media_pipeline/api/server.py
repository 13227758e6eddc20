"""`media-pipeline serve`: Dagster processes, then the API under uvicorn; all stopped on exit.

Start: the code server and the Dagster webserver; then the runs the last stop interrupted are
queued again (``jobs/recovery.py``); then the daemon, which launches queued runs; then the
supervisor thread, which restarts any of the three that dies; then the API.

Stop (SIGTERM, Ctrl-C): event streams end at once, uvicorn closes its connections, the
Dagster processes are stopped. A run in progress is left as it is and queued again by the
next start: stopping the server is not a user's cancel.
"""

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import dagster as dg

from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.processes import DagsterProcesses
from media_pipeline.jobs.recovery import orphaned_runs, requeue_orphaned_runs
from media_pipeline.jobs.submit import GraphQLSubmitter
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot

INTERNAL_HOST = "127.0.0.1"  # the Dagster processes are never exposed beyond loopback


def serve(runtime: RuntimeSettings, settings: PipelineSettings, host: str, port: int,
          ui_port: int | None = None, say: Callable[[str], None] | None = None) -> int:
    """Run until interrupted (Ctrl-C / SIGTERM); returns an exit code."""
    import uvicorn

    from media_pipeline.api.app import create_app

    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    # SIGTERM must unwind through `finally` (stop the Dagster processes). uvicorn restores
    # the handler it found and re-raises the signal after its own shutdown, so this handler
    # also runs then; the default one would just kill us.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    data = DataRoot.of(runtime)
    for path in (data.root, data.media_dir, data.inbox,
                 runtime.library_root or data.default_library_root):
        path.mkdir(parents=True, exist_ok=True)
    instance = open_instance(data.dagster_home, runtime)
    procs = DagsterProcesses(runtime, host=INTERNAL_HOST, ui_port=ui_port, say=say)
    try:
        say(f"starting Dagster (code server, daemon, webserver) for {runtime.data_dir} …")
        procs.start(daemon=False)
        procs.wait_ready()
        submitter = GraphQLSubmitter(INTERNAL_HOST, int(procs.ui_port or 0))
        requeue_orphaned_runs(instance, submitter, say)
        procs.start_daemon()
        procs.supervise()
        app = create_app(runtime, settings, submitter, instance=instance,
                         processes=procs.status)
        say(f"API: http://{host}:{port}/docs  ·  Dagster UI: {procs.ui_url}  ·  "
            f"logs: {data.logs_dir}")
        # Event streams never end by themselves: they end when `stopping` is set, and
        # uvicorn gives what is still open 1 s more.
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                timeout_graceful_shutdown=1, lifespan="on")
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # again: start-up code may reset it
        StoppingServer(config, on_exit=lambda: _begin_stop(app.state.stopping, procs)).run()
        return 0
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        procs.stop()
        _close_cancels(instance)
        say("stopped")


def _begin_stop(stopping: threading.Event, procs: DagsterProcesses) -> None:
    """On SIGTERM: event streams end, and the Dagster processes are signalled while uvicorn
    closes its connections (``procs.stop()`` then only waits for them)."""
    stopping.set()
    procs.begin_stop()


class StoppingServer:
    """A ``uvicorn.Server`` that calls ``on_exit`` as soon as it is asked to stop."""

    def __init__(self, config: Any, on_exit: Callable[[], None]) -> None:
        import uvicorn

        class _Server(uvicorn.Server):
            def handle_exit(self, sig: int, frame: FrameType | None) -> None:
                on_exit()
                super().handle_exit(sig, frame)

        self.server = _Server(config)

    def run(self) -> None:
        self.server.run()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _close_cancels(instance: dg.DagsterInstance) -> None:
    """Runs a user was cancelling when the server stopped are reported cancelled (their
    worker died with the code server). Runs in progress are left for the next start."""
    for run in orphaned_runs(instance):
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, "cancelled (the server stopped during the cancel)")
