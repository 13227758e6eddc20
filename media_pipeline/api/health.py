"""``GET /api/health``: is the API up, and are the Dagster processes that run its jobs?

Under `media-pipeline serve` the answer names each supervised process (``up``; ``down``:
dead, to be started again after a short back-off; ``restarting``: started again, not ready
yet) and the age of the daemon's newest heartbeat in the instance. 200 when every process is
up, else 503 (jobs wait in the queue until it is).
"""

import time
from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from media_pipeline.api.deps import get_state

router = APIRouter(prefix="/api", tags=["health"])

ProcessStatus = Callable[[], Mapping[str, str]]
"""``{"daemon": "up", "webserver": …, "code-server": …}`` (``DagsterProcesses.status``)."""
HEARTBEAT_STALE_S = 90.0
"""Without supervised processes: a daemon whose newest heartbeat is older is down (Dagster's
daemons beat every 30 s)."""


def heartbeat_age_s(instance: dg.DagsterInstance) -> float | None:
    """Seconds since the daemon's newest heartbeat; None when it never beat."""
    try:
        beats = instance.get_daemon_heartbeats()
    except Exception:  # a storage without heartbeats, or a hiccup: unknown, not an error
        return None
    stamps = [float(beat.timestamp) for beat in beats.values()]
    return round(max(0.0, time.time() - max(stamps)), 1) if stamps else None


def health_report(instance: dg.DagsterInstance,
                  processes: ProcessStatus | None) -> tuple[int, dict[str, Any]]:
    """The status code and body of ``GET /api/health``."""
    age = heartbeat_age_s(instance)
    body: dict[str, Any] = {"api": "ok"}
    if processes is not None:
        status = processes()
        body.update(daemon=status.get("daemon", "down"), webserver=status.get("webserver",
                                                                              "down"),
                    code_server=status.get("code-server", "down"))
    else:  # an app without `serve` around it: judge the daemon by its heartbeat only
        body["daemon"] = "up" if age is not None and age < HEARTBEAT_STALE_S else "down"
    body["daemon_heartbeat_age_s"] = age
    up = all(v in ("ok", "up") for k, v in body.items() if k != "daemon_heartbeat_age_s")
    return (200 if up else 503), body


@router.get("/health", responses={503: {"description": "A Dagster process is not up"}})
async def health(request: Request) -> JSONResponse:
    """``{"api": "ok", "daemon": "up", "webserver": "up", "code_server": "up",
    "daemon_heartbeat_age_s": 4.2}``; 200 when all are up, else 503."""
    state = get_state(request)
    processes: ProcessStatus | None = getattr(request.app.state, "processes", None)
    code, body = await run_in_threadpool(health_report, state.instance, processes)
    return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})
