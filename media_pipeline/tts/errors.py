"""Errors raised by the text-to-speech layer; ``user_message`` is always safe to show a user.

The messages of the seed's error table are constants here so wrappers and tests share them.
"""

import re

from media_pipeline.errors import MediaPipelineError

AUTH_FAILED_MESSAGE = "Provider authentication failed"
RATE_LIMITED_MESSAGE = "Provider rate limit exceeded; try again later"
AUDIO_FAILED_MESSAGE = "Audio processing failed"
UNEXPECTED_MESSAGE = "An unexpected error occurred"

_MAX_MESSAGE_CHARS = 200
# Long opaque runs (API keys, bearer tokens, base64 blobs) are never worth showing a user.
_SECRET_LIKE = re.compile(r"(?:sk|xi|key|tok)[-_][A-Za-z0-9_\-]{8,}|[A-Za-z0-9+/_\-=]{24,}")
_BEARER = re.compile(r"(?i)bearer\s+\S+")


def sanitize_message(message: str, secrets: tuple[str, ...] = ()) -> str:
    """Make a provider message safe to show: one line, secrets redacted, at most 200 chars."""
    text = " ".join(message.split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    text = _BEARER.sub("Bearer [redacted]", text)
    text = _SECRET_LIKE.sub("[redacted]", text)
    if len(text) > _MAX_MESSAGE_CHARS:
        text = text[: _MAX_MESSAGE_CHARS - 1].rstrip() + "…"
    return text


class TTSError(MediaPipelineError):
    """Root of the errors raised by ``media_pipeline.tts``."""


class NarrationInputError(TTSError):
    """The request itself is unusable (empty text, unknown voice, speed out of range)."""


class ProviderNotFoundError(TTSError):
    """A provider name that is not registered was asked for."""

    def __init__(self, name: str, known: list[str]) -> None:
        listed = ", ".join(sorted(known)) or "none"
        super().__init__(f"Unknown TTS provider {name!r}; known providers: {listed}")
        self.name = name
        self.known = sorted(known)


class ProviderError(TTSError):
    """A provider call failed; the message is already sanitized (no keys, no bodies)."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(sanitize_message(message))
        self.provider = provider
        self.status = status


class ProviderAuthError(ProviderError):
    """The provider rejected the credentials (HTTP 401/403); never retried."""

    def __init__(self, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(AUTH_FAILED_MESSAGE, provider=provider, status=status)


class ProviderRateLimitError(ProviderError):
    """The provider asked us to slow down (HTTP 429); retried with backoff."""

    def __init__(
        self,
        *,
        provider: str = "",
        status: int | None = 429,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(RATE_LIMITED_MESSAGE, provider=provider, status=status)
        self.retry_after_s = retry_after_s


class AudioProcessingError(TTSError):
    """Decoding, stitching or encoding the audio failed; ``detail`` is for the log only."""

    def __init__(self, detail: str) -> None:
        super().__init__(AUDIO_FAILED_MESSAGE)
        self.detail = detail


class TimingMergeError(TTSError):
    """Per-chunk timings could not be merged; the narration falls back to estimates."""


class NarrationCancelledError(TTSError):
    """Raised by a progress callback to stop a narration between chunks."""

    def __init__(self) -> None:
        super().__init__("Narration was cancelled")


class UnexpectedNarrationError(TTSError):
    """Anything not foreseen; the traceback goes to the log, the user sees a fixed text."""

    def __init__(self) -> None:
        super().__init__(UNEXPECTED_MESSAGE)
