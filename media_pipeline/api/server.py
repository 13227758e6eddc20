"""`media-pipeline serve`: Dagster processes, then the API under uvicorn; all stopped on exit."""

import signal
import sys
from collections.abc import Callable
from types import FrameType

import dagster as dg

from media_pipeline.automation.liveness import process_alive, worker_pid
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.launcher import GRPC_INFO_TAG
from media_pipeline.jobs.processes import DagsterProcesses
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
    # SIGTERM must unwind through `finally` (stop the Dagster processes, close orphaned
    # runs). uvicorn restores the handler it found and re-raises the signal after its own
    # shutdown, so this handler also runs then; the default one would just kill us.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    data = DataRoot.of(runtime)
    for path in (data.root, data.media_dir, data.inbox,
                 runtime.library_root or data.default_library_root):
        path.mkdir(parents=True, exist_ok=True)
    instance = open_instance(data.dagster_home, runtime)
    procs = DagsterProcesses(runtime, host=INTERNAL_HOST, ui_port=ui_port)
    try:
        say(f"starting Dagster (code server, daemon, webserver) for {runtime.data_dir} …")
        procs.start()
        procs.wait_ready()
        submitter = GraphQLSubmitter(INTERNAL_HOST, int(procs.ui_port or 0))
        app = create_app(runtime, settings, submitter, instance=instance)
        say(f"API: http://{host}:{port}/docs  ·  Dagster UI: {procs.ui_url}  ·  "
            f"logs: {data.logs_dir}")
        # Event streams never end by themselves: waiting long for them only delays the stop,
        # and a supervisor that gives a few seconds then kills would orphan run workers.
        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                timeout_graceful_shutdown=1, lifespan="on")
        signal.signal(signal.SIGTERM, _exit_on_sigterm)  # again: start-up code may reset it
        uvicorn.Server(config).run()
        return 0
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    finally:
        procs.stop()
        _close_orphans(instance)
        say("stopped")


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _close_orphans(instance: dg.DagsterInstance) -> None:
    """Runs whose worker died with the code server are reported cancelled, not left running."""
    live = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
            dg.DagsterRunStatus.CANCELING]
    for record in instance.get_run_records(dg.RunsFilter(statuses=live)):
        run = record.dagster_run
        if GRPC_INFO_TAG not in run.tags:
            continue  # not launched by a code server (e.g. a CLI's in-process run)
        pid = worker_pid(instance, run.run_id)
        if pid is None or not process_alive(pid):
            instance.report_run_canceled(run, "the server stopped while the run was in progress")
