"""Request bodies refused before they are read: a pure ASGI middleware (nothing buffers).

- A multipart upload (``POST /api/jobs``, or multipart on any route: Starlette spools its
  files to disk) may carry at most ``MEDIA_PIPELINE_MAX_UPLOAD_MB`` (plus the multipart
  overhead); every other body (JSON, form fields, anything a route reads into memory) at
  most ``MEDIA_PIPELINE_MAX_JSON_BODY_KB``.
- A ``Content-Length`` over the limit is answered 413 at once, without reading the body.
- A body without ``Content-Length`` (chunked) is counted while it streams in and cut off with
  413 once it passes the limit.
- A media upload (``POST /api/jobs``, ``/asr``, ``/detect-language``, ``/v1/audio/…``), when
  ``MAX_PENDING_MEDIA_JOBS`` media jobs created through the API already wait, is answered
  429 with ``Retry-After`` before the body is read (for an authorized client; others get
  their 401 from the app). The job service checks again when it creates the job (two
  uploads may pass here at once). Media servers' hooks (``/api/hooks/…``) are never refused
  for it and their jobs do not count (a server never sends a notice again).

An error answer sent before the whole body arrived closes the connection, so a client that
keeps sending is not drained for gigabytes. Under ``/v1/`` the answer has OpenAI's error shape.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from media_pipeline.api.deps import require_token
from media_pipeline.api.uploads import MULTIPART_OVERHEAD

UPLOAD_ROUTES = frozenset({("POST", "/api/jobs"), ("POST", "/asr"), ("POST", "/detect-language"),
                           ("POST", "/v1/audio/transcriptions"),
                           ("POST", "/v1/audio/translations")})
"""Routes that take a media upload (multipart) and create a media job."""


class BodyTooLargeError(Exception):
    """Raised from ``receive`` when a streamed body passes its limit."""


@dataclass(frozen=True)
class BodyLimits:
    upload_bytes: int
    """The largest media file (``max_upload_mb``); multipart bodies may add the overhead."""
    body_bytes: int
    """Every other body (JSON and the rest)."""
    max_pending: int = 0
    """Uploads are answered 429 while this many API media jobs wait (0: no check here)."""
    pending: Callable[[], int] | None = None
    """How many API media jobs wait now (a blocking call; run on a worker thread)."""
    retry_after_s: int = 10


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _is_multipart(scope: Scope) -> bool:
    return (_header(scope, b"content-type") or "").lower().startswith("multipart/form-data")


def _authorized(scope: Scope) -> bool:
    try:
        require_token(Request(scope))
    except HTTPException:
        return False
    return True


def _openai(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith("/v1/")


def openai_error_body(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error body for HTTP ``status`` (``{"error": {message, type, param, code}}``)."""
    kind = "server_error" if status >= 500 else (
        "rate_limit_error" if status == 429 else "invalid_request_error")
    code = {401: "invalid_api_key", 413: "file_too_large", 429: "rate_limit_exceeded",
            504: "timeout"}.get(status)
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    return (length is not None and length.strip() not in ("", "0")) or \
        _header(scope, b"transfer-encoding") is not None


def _found(exc: BaseException) -> bool:
    """Whether ``exc`` is, or (in an exception group) holds, a BodyTooLargeError."""
    if isinstance(exc, BodyTooLargeError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_found(e) for e in exc.exceptions)
    return False


async def refuse(send: Send, status: int, detail: str,
                 headers: dict[str, str] | None = None, openai: bool = False) -> None:
    """A JSON error answer that also closes the connection (the body is left unread);
    ``openai``: in OpenAI's error shape."""
    body = json.dumps(openai_error_body(status, detail) if openai else {"detail": detail}
                      ).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """See the module's doc. ``app.add_middleware(BodyLimitMiddleware, limits=…)``."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    def limit_for(self, scope: Scope) -> int:
        if _is_multipart(scope):
            return self.limits.upload_bytes + MULTIPART_OVERHEAD
        return self.limits.body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            await refuse(send, 413, self._too_large(limit), openai=_openai(scope))
            return
        if await self._too_many_pending(scope):
            await refuse(send, 429, "MAX_PENDING_MEDIA_JOBS media jobs are already waiting; "
                         "try again later", {"Retry-After": str(self.limits.retry_after_s)},
                         openai=_openai(scope))
            return
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        state: dict[str, Any] = {"received": 0, "done": False, "started": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                state["done"] = not message.get("more_body", False)
                if state["received"] > limit:
                    raise BodyTooLargeError
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                if not state["done"]:  # answered before the whole body came: do not drain
                    headers = [h for h in message.get("headers", ())
                               if bytes(h[0]).lower() != b"connection"]
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counting_receive, closing_send)
        except BaseException as exc:
            if not _found(exc):
                raise
            if not state["started"]:
                await refuse(send, 413, self._too_large(limit), openai=_openai(scope))

    async def _too_many_pending(self, scope: Scope) -> bool:
        limits = self.limits
        if limits.pending is None or limits.max_pending <= 0:
            return False
        if (scope["method"], scope["path"].rstrip("/") or "/") not in UPLOAD_ROUTES:
            return False
        if not _is_multipart(scope) or not _authorized(scope):
            return False
        waiting = await anyio.to_thread.run_sync(limits.pending)
        return waiting >= limits.max_pending

    def _too_large(self, limit: int) -> str:
        if limit >= 1 << 20:
            return f"the request body is limited to {limit >> 20} MiB"
        return f"the request body is limited to {max(1, limit >> 10)} KiB"
