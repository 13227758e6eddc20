"""The FastAPI app: jobs, events, narrations and search, over one Dagster instance.

``create_app`` needs a :class:`RunSubmitter` to put runs in the instance's queue; `media-pipeline
serve` passes one bound to the Dagster webserver it starts (see ``jobs/processes.py``).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dagster as dg
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse

from media_pipeline.api import events, jobs, narrations, search
from media_pipeline.api.deps import AppState, require_token
from media_pipeline.api.errors import install_error_handler
from media_pipeline.automation.prune import prune_finished_runs
from media_pipeline.jobs.events import EventLog, JobWatcher
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.service import JobService
from media_pipeline.jobs.submit import RunSubmitter
from media_pipeline.settings import (
    PipelineSettings,
    RuntimeSettings,
    pipeline_settings_from_env,
    runtime_settings_from_env,
)
from media_pipeline.store.paths import DataRoot

DESCRIPTION = """\
Subtitle jobs over Dagster. A job is the run (or runs) that materialize one media file with
one set of options; its state comes from the Dagster instance. Live events at
`/api/events` (Server-Sent Events). When `MEDIA_PIPELINE_API_TOKEN` is set, every request
needs `Authorization: Bearer <token>` (or `?access_token=` for EventSource clients).
"""


def create_app(runtime: RuntimeSettings | None = None, settings: PipelineSettings | None = None,
               submitter: RunSubmitter | None = None,
               instance: dg.DagsterInstance | None = None, watch: bool = True) -> FastAPI:
    """The API for one data root; ``submitter`` queues runs (required to create jobs)."""
    runtime = runtime or runtime_settings_from_env()
    settings = settings or pipeline_settings_from_env()
    instance = instance or open_instance(DataRoot.of(runtime).dagster_home, runtime)
    log = EventLog()
    service = JobService(runtime, settings, instance, submitter or _NoSubmitter())

    def prune() -> None:
        prune_finished_runs(instance, runtime.max_finished_jobs)

    watcher = JobWatcher(instance, log, service.get, on_finished=prune)
    service.on_created = lambda job: watcher.announce(job, again=True)
    state = AppState(runtime=runtime, settings=settings, jobs=service, events=log)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.stopping = asyncio.Event()
        if watch:
            watcher.start()
        try:
            yield
        finally:
            app.state.stopping.set()
            watcher.stop()

    app = FastAPI(title="media_pipeline", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan, dependencies=[Depends(require_token)])
    app.state.media_pipeline = state
    install_error_handler(app)
    app.state.stopping = asyncio.Event()
    app.include_router(jobs.router)
    app.include_router(events.router)
    app.include_router(search.router)
    app.include_router(narrations.router)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app


class _NoSubmitter:
    """Stands in when the app was built without a way to queue runs."""

    def submit(self, job_name: str, **kwargs: object) -> str:
        from media_pipeline.jobs.submit import SubmitError

        raise SubmitError("this server cannot start runs (no Dagster webserver to submit to)")
