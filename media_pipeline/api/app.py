"""The FastAPI app: jobs, events, narrations and search, over one Dagster instance.

``create_app`` needs a :class:`RunSubmitter` to put runs in the instance's queue; `media-pipeline
serve` passes one bound to the Dagster webserver it starts (see ``jobs/processes.py``).
"""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dagster as dg
from fastapi import Depends, FastAPI

from media_pipeline.api import (
    artifacts,
    events,
    health,
    hooks,
    job_edits,
    jobs,
    library_view,
    narrations,
    search,
    session,
    voices,
)
from media_pipeline.api.asr_compat import router as asr_compat_router
from media_pipeline.api.deps import AppState, require_token
from media_pipeline.api.errors import install_error_handler
from media_pipeline.api.limits import BodyLimitMiddleware, BodyLimits
from media_pipeline.api.openai_compat import router as openai_compat_router
from media_pipeline.api.page import install_page
from media_pipeline.api.speakers import router as speakers_router
from media_pipeline.jobs.events import EventLog, JobWatcher
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.narration import NarrationJobs
from media_pipeline.jobs.narration_events import NarrationWatcher
from media_pipeline.jobs.service import RETRY_AFTER_S, JobService
from media_pipeline.jobs.submit import RunSubmitter
from media_pipeline.jobs.webhook import CompletionWebhook, library_describer
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
needs `Authorization: Bearer <token>`, or the `mp_session` cookie the browser page gets from
`POST /api/session` (`?access_token=` is taken only on `/api/events`, for EventSource
clients, and on `/api/hooks/emby` and `/api/hooks/plex`, whose senders cannot set a header).
The page (`/`), its files (`/static`), these docs and `/api/session` need no token.
"""


def create_app(runtime: RuntimeSettings | None = None, settings: PipelineSettings | None = None,
               submitter: RunSubmitter | None = None,
               instance: dg.DagsterInstance | None = None, watch: bool = True,
               processes: health.ProcessStatus | None = None) -> FastAPI:
    """The API for one data root; ``submitter`` queues runs (required to create jobs);
    ``processes`` reports the supervised Dagster processes (``GET /api/health``)."""
    runtime = runtime or runtime_settings_from_env()
    settings = settings or pipeline_settings_from_env()
    instance = instance or open_instance(DataRoot.of(runtime).dagster_home, runtime)
    log = EventLog()
    service = JobService(runtime, settings, instance, submitter or _NoSubmitter())

    watcher = JobWatcher(instance, log, service.get, defaults=settings)
    service.on_created = lambda job: watcher.announce(job, again=True)
    completion = CompletionWebhook(runtime.webhook_url, library_describer(
        lambda: service.library, service.get)) if runtime.webhook_url else None
    watcher.on_finished = completion.job_finished if completion else None
    state = AppState(runtime=runtime, settings=settings, jobs=service, events=log)
    narration_watcher = NarrationWatcher(log, lambda: _narration_jobs(state))
    state.extras[narrations.WATCHER_KEY] = narration_watcher

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.stopping.clear()
        if watch:
            watcher.start()
            narration_watcher.start()
        if completion is not None:
            completion.start()
        try:
            yield
        finally:
            app.state.stopping.set()
            watcher.stop()
            narration_watcher.stop()
            if completion is not None:
                completion.stop()

    app = FastAPI(title="media_pipeline", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan, dependencies=[Depends(require_token)],
                  docs_url=None, redoc_url=None)  # api/page.py serves them offline
    app.state.media_pipeline = state
    app.state.processes = processes
    # Set when the server starts to stop (``serve`` sets it on SIGTERM, before uvicorn waits
    # for open connections): event streams end at once instead of holding the stop up.
    app.state.stopping = threading.Event()
    install_error_handler(app)
    app.add_middleware(BodyLimitMiddleware, limits=BodyLimits(
        upload_bytes=runtime.max_upload_mb << 20, body_bytes=runtime.max_json_body_kb << 10,
        max_pending=runtime.max_pending_media_jobs, pending=service.waiting_count,
        retry_after_s=RETRY_AFTER_S))
    _add_routes(app)
    return app


def _add_routes(app: FastAPI) -> None:
    """Every router of the API, then the browser page, ``/static`` and the docs."""
    for router in (jobs.router, events.router, health.router, search.router,
                   narrations.router, asr_compat_router, openai_compat_router, hooks.router,
                   speakers_router, session.router, library_view.router, artifacts.router,
                   job_edits.router, voices.router):
        app.include_router(router)
    install_page(app)


def _narration_jobs(state: AppState) -> NarrationJobs | None:
    """The app's narrations once its narration service exists (the first narration call)."""
    service = state.extras.get(narrations.EXTRAS_KEY)
    return service.jobs if service is not None else None


class _NoSubmitter:
    """Stands in when the app was built without a way to queue runs."""

    def submit(self, job_name: str, **kwargs: object) -> str:
        from media_pipeline.jobs.submit import SubmitError

        raise SubmitError("this server cannot start runs (no Dagster webserver to submit to)")
