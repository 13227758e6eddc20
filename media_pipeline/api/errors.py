"""One place that turns the package's errors into HTTP answers, for every router.

Endpoints let :class:`MediaPipelineError` propagate; the app's handler answers with the
status below and the error's ``user_message`` (already safe to show) as ``detail``.

A request that fails validation is answered 422 with one short line naming the field and
the problem (:func:`validation_message`), never the value sent: FastAPI's own answer
echoes the whole input, so a 50 MB body got a 52 MB answer, and a NaN in it made the
answer itself fail (500).
"""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from media_pipeline.errors import (
    ConfigurationError,
    LibraryLockedError,
    MediaPipelineError,
    NoAudioStreamError,
    NotMediaError,
)
from media_pipeline.jobs.narration import NarrationNotCompletedError
from media_pipeline.jobs.service import (
    InvalidOptionsError,
    JobConflictError,
    JobNotFoundError,
    TooManyPendingError,
)
from media_pipeline.jobs.submit import SubmitError
from media_pipeline.library.cleanup_review import UnknownChangeError
from media_pipeline.library.edits import EditError, NothingToUndoError
from media_pipeline.store.narration import NarrationNotFoundError
from media_pipeline.tts.errors import TTSError

# First match wins: subclasses before their bases (NothingToUndoError is an EditError).
_STATUS: tuple[tuple[type[MediaPipelineError] | tuple[type[MediaPipelineError], ...], int],
               ...] = (
    ((JobNotFoundError, NarrationNotFoundError), status.HTTP_404_NOT_FOUND),
    ((NothingToUndoError, JobConflictError, NarrationNotCompletedError),
     status.HTTP_409_CONFLICT),
    ((NotMediaError, NoAudioStreamError), status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    ((EditError, InvalidOptionsError, UnknownChangeError),
     status.HTTP_422_UNPROCESSABLE_CONTENT),
    ((TTSError, ConfigurationError), status.HTTP_400_BAD_REQUEST),
    (TooManyPendingError, status.HTTP_429_TOO_MANY_REQUESTS),
    ((SubmitError, LibraryLockedError), status.HTTP_503_SERVICE_UNAVAILABLE),
)


def status_of(exc: MediaPipelineError) -> tuple[int, dict[str, str]]:
    """The HTTP status for ``exc`` and the headers that go with it (Retry-After)."""
    for kinds, code in _STATUS:
        if isinstance(exc, kinds):
            if isinstance(exc, TooManyPendingError):
                return code, {"Retry-After": str(exc.retry_after_s)}
            if code == status.HTTP_503_SERVICE_UNAVAILABLE:
                return code, {"Retry-After": "5"}
            return code, {}
    return status.HTTP_500_INTERNAL_SERVER_ERROR, {}


async def media_pipeline_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """The app's answer to any :class:`MediaPipelineError` an endpoint lets through."""
    assert isinstance(exc, MediaPipelineError)
    code, headers = status_of(exc)
    return JSONResponse({"detail": capped(exc.user_message)}, status_code=code,
                        headers=headers)


MAX_DETAIL_CHARS = 300
_SOURCES = ("body", "query", "path", "header", "cookie")


def capped(text: str) -> str:
    """``text`` cut to :data:`MAX_DETAIL_CHARS` (an error may quote what the client sent,
    such as a list of unknown ids; the answer stays short whatever was sent)."""
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS - 1] + "\u2026"


def _printable(text: str, limit: int) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text[:limit])


def validation_message(errors: Sequence[Any]) -> str:
    """One line for a failed validation: ``field: problem`` of the first error (and how many
    more), at most :data:`MAX_DETAIL_CHARS` characters. Pydantic's ``msg`` describes what was
    expected, not what was sent; the location parts are capped (a key may come from the
    client)."""
    if not errors:
        return "invalid request"
    first = errors[0] if isinstance(errors[0], dict) else {}
    loc = [str(part) for part in first.get("loc", ())]
    if len(loc) > 1 and loc[0] in _SOURCES:
        loc = loc[1:]
    where = ".".join(_printable(part, 40) for part in loc[:6])
    problem = _printable(str(first.get("msg", "invalid value")), 160)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return capped(f"{where}: {problem}{more}" if where else f"{problem}{more}")


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with :func:`validation_message`, never the input (see the module's doc)."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_message(exc.errors())},
                        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def install_error_handler(app: FastAPI) -> None:
    """Answer every :class:`MediaPipelineError` of ``app``'s endpoints with :func:`status_of`,
    and every request that fails validation with :func:`validation_error_handler`."""
    app.add_exception_handler(MediaPipelineError, media_pipeline_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
