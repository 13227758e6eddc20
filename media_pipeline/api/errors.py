"""One place that turns the package's errors into HTTP answers, for every router.

Endpoints let :class:`MediaPipelineError` propagate; the app's handler answers with the
status below and the error's ``user_message`` (already safe to show) as ``detail``.
"""

from fastapi import FastAPI, Request, status
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
    return JSONResponse({"detail": exc.user_message}, status_code=code, headers=headers)


def install_error_handler(app: FastAPI) -> None:
    """Answer every :class:`MediaPipelineError` of ``app``'s endpoints with :func:`status_of`."""
    app.add_exception_handler(MediaPipelineError, media_pipeline_error_handler)
