"""Probe a file with PyAV: is it media, how long, which streams.

:func:`probe_media` reads the container's headers only (fast: it answers an upload at
once), so its duration is what the file claims; :func:`decoded_duration_s` is what the
audio really lasts, for anything recorded or bounded by it.
"""

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


def decoded_duration_s(path: Path) -> float:
    """Seconds of audio the first audio stream of ``path`` decodes to.

    A header's duration is whatever the file says: an 8 s MP3 whose Xing header claims
    2**31 frames probes as 56 million seconds. Decoding every frame and counting samples
    costs a pass over the file (about 1/800 of real time for MP3 or Vorbis, in PyAV's C
    decoders) and cannot be lied to. Like the decoder of the speech stage, a corrupt packet
    ends the count and what decoded before it is kept; 0.0 when nothing decodes.
    """
    import av

    samples: dict[int, int] = {}  # per sample rate: whole counts, no float drift
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return 0.0
            for frame in container.decode(container.streams.audio[0]):
                if frame.sample_rate:
                    samples[frame.sample_rate] = samples.get(frame.sample_rate, 0) + \
                        frame.samples
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        pass  # keep what decoded before the damage
    return sum(count / rate for rate, count in samples.items())


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
