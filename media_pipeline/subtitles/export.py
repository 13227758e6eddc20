"""Format registry and atomic writing of every export."""

from collections.abc import Callable
from pathlib import Path

from media_pipeline.atomic import write_text_atomic
from media_pipeline.subtitles.formats.ass import to_ass
from media_pipeline.subtitles.formats.lrc import to_enhanced_lrc, to_lrc
from media_pipeline.subtitles.formats.srt import to_srt
from media_pipeline.subtitles.formats.txt import to_txt
from media_pipeline.subtitles.formats.vtt import to_vtt
from media_pipeline.subtitles.model import Cue

#: Formats that can begin cues with "Speaker 1: " (the ``speaker_prefix`` setting).
PREFIXED: dict[str, Callable[[list[Cue]], str]] = {
    "srt": lambda cues: to_srt(cues, speaker_prefix=True),
    "txt": lambda cues: to_txt(cues, speaker_prefix=True),
}

FORMATS: dict[str, Callable[[list[Cue]], str]] = {
    "srt": to_srt,
    "vtt": to_vtt,
    "ass": to_ass,
    "lrc": to_lrc,
    "elrc": to_enhanced_lrc,
    "txt": to_txt,
    "karaoke": lambda cues: to_ass(cues, karaoke=True),
}

#: What every media gets; ``karaoke`` (each word with its ``\\k`` time) is for songs.
DEFAULT_FORMATS: tuple[str, ...] = ("srt", "vtt", "ass", "lrc", "elrc", "txt")

#: File name endings that are not simply ``.<format>``.
SUFFIXES: dict[str, str] = {"elrc": "enhanced.lrc", "karaoke": "karaoke.ass"}


def render(cues: list[Cue], fmt: str, speaker_prefix: bool = False) -> str:
    """The text of ``cues`` in format ``fmt`` (one of FORMATS); ``speaker_prefix``: SRT and
    TXT name the speaker before the text when there is more than one."""
    writer = PREFIXED.get(fmt) if speaker_prefix else None
    try:
        return (writer or FORMATS[fmt])(cues)
    except KeyError:
        raise ValueError(f"unknown subtitle format {fmt!r}; known: {', '.join(FORMATS)}") from None


def write_all(cues: list[Cue], directory: Path, stem: str,
              formats: tuple[str, ...] = DEFAULT_FORMATS,
              speaker_prefix: bool = False) -> dict[str, Path]:
    """Write every format of ``cues`` as ``directory/stem.<fmt>``; returns the paths."""
    out = {}
    for fmt in formats:
        path = directory / f"{stem}.{SUFFIXES.get(fmt, fmt)}"
        write_text_atomic(path, render(cues, fmt, speaker_prefix))
        out[fmt] = path
    return out
