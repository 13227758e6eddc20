"""Probe a file with PyAV: is it media, how long, which streams."""

import re
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.errors import NoAudioStreamError, NotMediaError


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str
    codec: str
    sample_rate: int | None = None
    channels: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class MediaProbe:
    """What a file contains, as far as the container says."""

    duration_s: float
    format_name: str
    streams: tuple[StreamInfo, ...]

    @property
    def has_video(self) -> bool:
        return any(s.kind == "video" for s in self.streams)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)


def probe_media(path: Path) -> MediaProbe:
    """Open ``path`` as media; raise NotMediaError / NoAudioStreamError with a clear reason."""
    import av  # deferred: PyAV loads FFmpeg's libraries

    if not path.is_file():
        raise NotMediaError(str(path), "file does not exist")
    if path.stat().st_size == 0:
        raise NotMediaError(str(path), "the file is empty")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = []
            for s in container.streams:
                ctx = s.codec_context
                kind = s.type or "unknown"
                streams.append(
                    StreamInfo(
                        index=s.index,
                        kind=kind,
                        codec=(ctx.name if ctx is not None else "unknown") or "unknown",
                        sample_rate=getattr(ctx, "sample_rate", None) if kind == "audio" else None,
                        channels=getattr(ctx, "channels", None) if kind == "audio" else None,
                        width=getattr(ctx, "width", None) if kind == "video" else None,
                        height=getattr(ctx, "height", None) if kind == "video" else None,
                    )
                )
            duration = _duration_s(container)
            fmt = container.format.name
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise NotMediaError(str(path), _short(exc)) from exc
    probe = MediaProbe(duration_s=duration, format_name=fmt, streams=tuple(streams))
    if probe.audio is None:
        if not streams:
            raise NotMediaError(str(path), "no audio or video streams found")
        raise NoAudioStreamError(str(path))
    return probe


def _duration_s(container: object) -> float:
    duration = getattr(container, "duration", None)
    if duration:
        return float(duration) / 1_000_000  # av.time_base is microseconds
    best = 0.0
    for s in getattr(container, "streams", []):
        if s.duration and s.time_base:
            best = max(best, float(s.duration * s.time_base))
    return best


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # PyAV prefixes an errno and appends the file name; neither helps the user.
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    return text.split(": '")[0][:160]
