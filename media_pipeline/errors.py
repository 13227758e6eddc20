"""One exception root for the project; subclasses carry what a caller needs to report."""


class MediaPipelineError(Exception):
    """Root of every error this package raises on purpose.

    ``user_message`` is short and safe to show a user (no paths to secrets, no tracebacks).
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class NotMediaError(MediaPipelineError):
    """The file is not decodable audio or video."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"not a media file ({reason})")
        self.path = path
        self.reason = reason


class NoAudioStreamError(MediaPipelineError):
    """The file is media but has no audio stream to transcribe."""

    def __init__(self, path: str) -> None:
        super().__init__("the file has no audio stream")
        self.path = path


class DecodeError(MediaPipelineError):
    """ffmpeg could not decode the audio (truncated or corrupt data)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"audio could not be decoded ({detail})")
        self.path = path
        self.detail = detail


class ModelUnavailableError(MediaPipelineError):
    """A model was asked for that is not on this machine and cannot be downloaded."""

    def __init__(self, model: str, hint: str) -> None:
        super().__init__(f"model {model!r} is not available offline: {hint}")
        self.model = model
        self.hint = hint


class LibraryLockedError(MediaPipelineError):
    """The library database stayed locked by another process past the retry budget."""


class ConfigurationError(MediaPipelineError):
    """A setting has a value the pipeline cannot use."""


class UnreadableFileError(MediaPipelineError):
    """An input file could not be read (gone, a directory, no permission, a link loop)."""


class FileChangedError(MediaPipelineError):
    """An input file changed while it was read: it is probably still being written."""

    def __init__(self) -> None:
        super().__init__("the file changed while it was read (still being copied?); "
                         "it is taken once it is complete")


class AudioTrackError(MediaPipelineError):
    """The audio track asked for (``audio_track``, ``audio_language``) is not in the file;
    the message lists the tracks it has."""
