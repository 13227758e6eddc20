"""Probe a file with PyAV: is it media, how long, which streams.

:func:`probe_media` reads the container's headers only (fast: it answers an upload at
once), so its duration is what the file claims; :func:`decoded_duration_s` is what the
audio really lasts, for anything recorded or bounded by it.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media_pipeline.errors import NoAudioStreamError, NotMediaError

# FFmpeg's AV_DISPOSITION_* flags (PyAV's av.stream.Disposition has them from version 13).
_DEFAULT, _COMMENT, _FORCED, _HEARING_IMPAIRED, _VISUAL_IMPAIRED = 0x1, 0x8, 0x40, 0x80, 0x100


@dataclass(frozen=True)
class StreamInfo:
    """One stream of the container; ``index`` is its absolute index (ffmpeg's ``0:<index>``)."""

    index: int
    kind: str
    codec: str
    sample_rate: int | None = None
    channels: int | None = None
    width: int | None = None
    height: int | None = None
    language: str | None = None
    """The container's language tag as written (``ger``, ``deu``, ``de``, ``en-US``)."""
    title: str | None = None
    default: bool = False
    forced: bool = False
    commentary: bool = False
    """Flagged as commentary or audio description (never the track to transcribe first)."""
    hearing_impaired: bool = False


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
    def audio_tracks(self) -> tuple[StreamInfo, ...]:
        """The audio streams in container order: ``audio_tracks[n]`` is audio track ``n``."""
        return tuple(s for s in self.streams if s.kind == "audio")

    @property
    def subtitle_tracks(self) -> tuple[StreamInfo, ...]:
        """Subtitle streams already inside the container."""
        return tuple(s for s in self.streams if s.kind == "subtitle")

    @property
    def audio(self) -> StreamInfo | None:
        """The container's default audio track: the one flagged default, else the first."""
        tracks = self.audio_tracks
        return next((s for s in tracks if s.default), tracks[0] if tracks else None)


def probe_media(path: Path) -> MediaProbe:
    """Open ``path`` as media; raise NotMediaError / NoAudioStreamError with a clear reason."""
    import av  # deferred: PyAV loads FFmpeg's libraries

    if not path.is_file():
        raise NotMediaError(str(path), "file does not exist")
    if path.stat().st_size == 0:
        raise NotMediaError(str(path), "the file is empty")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = [_stream_info(s) for s in container.streams]
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


def _stream_info(stream: Any) -> StreamInfo:
    ctx = stream.codec_context
    kind = stream.type or "unknown"
    meta = _metadata(stream)
    flags = int(getattr(stream, "disposition", 0) or 0)
    title = meta.get("title")
    return StreamInfo(
        index=stream.index,
        kind=kind,
        codec=(ctx.name if ctx is not None else "unknown") or "unknown",
        sample_rate=getattr(ctx, "sample_rate", None) if kind == "audio" else None,
        channels=getattr(ctx, "channels", None) if kind == "audio" else None,
        width=getattr(ctx, "width", None) if kind == "video" else None,
        height=getattr(ctx, "height", None) if kind == "video" else None,
        language=_language_tag(meta.get("language")),
        title=title[:200] if title else None,
        default=bool(flags & _DEFAULT),
        forced=bool(flags & _FORCED),
        commentary=bool(flags & (_COMMENT | _VISUAL_IMPAIRED)),
        hearing_impaired=bool(flags & _HEARING_IMPAIRED),
    )


def _metadata(stream: Any) -> dict[str, str]:
    try:
        return {str(k).lower(): str(v) for k, v in dict(stream.metadata).items()}
    except (UnicodeDecodeError, ValueError, TypeError):
        return {}


def _language_tag(tag: str | None) -> str | None:
    """The tag as written; ``und`` (undetermined) and empty tags are no language."""
    tag = (tag or "").strip()
    return tag[:35] if tag and tag.lower() not in ("und", "unk", "xx", "mis", "zxx") else None


def decoded_duration_s(path: Path, track: int = 0) -> float:
    """Seconds of audio that audio track ``track`` (from 0) of ``path`` decodes to.

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
            audio = container.streams.audio
            for frame in container.decode(audio[track if track < len(audio) else 0]):
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
