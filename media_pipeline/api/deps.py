"""Shared FastAPI dependencies: the app's state, settings, library, instance, auth.

Routers (jobs, narrations, …) take what they need with ``Depends(get_state)``; the app built
by :func:`media_pipeline.api.app.create_app` puts one :class:`AppState` on ``app.state``.
These signatures are stable: other routers import them.
"""

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request, status

from media_pipeline.library.db import Library
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot

if TYPE_CHECKING:
    import dagster as dg

    from media_pipeline.jobs.events import EventLog
    from media_pipeline.jobs.service import JobService
    from media_pipeline.jobs.submit import RunSubmitter


@dataclass
class AppState:
    """Everything a request handler may need, built once per app."""

    runtime: RuntimeSettings
    settings: PipelineSettings
    """The server's default pipeline settings (a job's options override some of them)."""
    jobs: "JobService"
    events: "EventLog"
    extras: dict[str, Any] = field(default_factory=dict)
    """Room for other routers' own state (keyed by router name)."""

    @property
    def library(self) -> Library:
        return DataRoot.of(self.runtime).library()

    @property
    def instance(self) -> "dg.DagsterInstance":
        return self.jobs.instance

    @property
    def submitter(self) -> "RunSubmitter":
        return self.jobs.submitter


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.media_pipeline
    return state


def get_runtime(request: Request) -> RuntimeSettings:
    return get_state(request).runtime


def get_library(request: Request) -> Library:
    return get_state(request).library


#: The one route that may carry its token as ``?access_token=``: browsers' EventSource
#: cannot set headers. Anywhere else a token in the URL would end up in access logs, proxy
#: logs and browser history, so it is not accepted.
#: Emby's and Plex's webhooks cannot set a header either: only a URL.
QUERY_TOKEN_ROUTES = frozenset({("GET", "/api/events"), ("POST", "/api/hooks/emby"),
                                ("POST", "/api/hooks/plex")})


def _query_token_allowed(request: Request) -> bool:
    return (request.method, _route_path(request)) in QUERY_TOKEN_ROUTES


#: The browser page's session cookie (``POST /api/session`` sets it): it holds the token,
#: HttpOnly and SameSite=Strict, so ``<video src>``, downloads and EventSource carry it.
SESSION_COOKIE = "mp_session"
#: Routes anyone may call: the page, its files, the docs and the session itself (the page
#: must load and ask for the token before it has one).
PUBLIC_ROUTES = frozenset({("GET", "/"), ("GET", "/api/session"), ("POST", "/api/session"),
                           ("DELETE", "/api/session"), ("GET", "/docs"), ("GET", "/redoc")})


def _route_path(request: Request) -> str:
    route = request.scope.get("route")  # FastAPI sets it once the route matched
    path = getattr(route, "path", None)
    return str(path) if path is not None else request.url.path.rstrip("/") or "/"


def token_ok(given: str, expected: str) -> bool:
    """Whether ``given`` is the token (a constant-time comparison)."""
    return bool(given) and hmac.compare_digest(given.strip().encode(), expected.encode())


def has_token(request: Request, expected: str) -> bool:
    """Whether the request carries ``expected``: the bearer header, else the session
    cookie, else (on :data:`QUERY_TOKEN_ROUTES` only) ``?access_token=``."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return token_ok(given, expected)
    if token_ok(request.cookies.get(SESSION_COOKIE, ""), expected):
        return True
    return _query_token_allowed(request) and \
        token_ok(request.query_params.get("access_token", ""), expected)


def require_token(request: Request) -> None:
    """401 unless the request carries the configured token (when one is set).

    The token is read from ``Authorization: Bearer <token>``, else the ``mp_session``
    cookie of the browser page; only on the routes of :data:`QUERY_TOKEN_ROUTES` (the event
    stream, Emby's and Plex's webhooks) may it come as the ``access_token`` query parameter.
    :data:`PUBLIC_ROUTES` need none.
    """
    expected = get_runtime(request).api_token
    if not expected or (request.method, _route_path(request)) in PUBLIC_ROUTES:
        return
    if not has_token(request, expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
