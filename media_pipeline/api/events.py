"""``GET /api/events``: job and narration events as Server-Sent Events, resumable with
Last-Event-ID."""

import asyncio
import threading
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from media_pipeline.api.deps import get_state
from media_pipeline.jobs.events import EventLog

router = APIRouter(prefix="/api", tags=["events"])
KEEPALIVE_S = 15.0
POLL_S = 0.2


@router.get("/events", response_class=StreamingResponse, responses={200: {
    "description": "text/event-stream of job_created, job_state, job_progress, job_completed, "
                   "job_failed and job_cancelled (data: JSON with the job's id and state), "
                   "and narration_created, narration_progress (data: {id, state, "
                   "chunks_done, chunks_total}), narration_completed and narration_failed "
                   "(data: the narration, with state, chunks_done, chunks_total and error)",
    "content": {"text/event-stream": {}}}})
async def events(request: Request, last_event_id: str | None = Header(None),
                 since: int | None = None) -> StreamingResponse:
    """Live job and narration events. Send ``Last-Event-ID`` (or ``?since=``) to get the
    ones you missed."""
    state = get_state(request)
    start = _parse(last_event_id)
    if start is None:
        start = since if since is not None else state.events.last_id
    stopping: threading.Event = request.app.state.stopping
    return StreamingResponse(_stream(request, state.events, start, stopping),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _parse(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


async def _stream(request: Request, log: EventLog, last: int,
                  stopping: threading.Event) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    quiet_since = time.monotonic()
    while not stopping.is_set():
        batch = log.since(last)
        for event in batch:
            yield event.sse()
            last = event.id
        if batch:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_S)
