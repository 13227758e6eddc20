"""LRC lyrics: one timed line per cue, or enhanced LRC with ``<mm:ss.xx>`` word times.

A cue's lines become one LRC line (LRC has no line breaks inside a lyric line). In the
enhanced form every word carries its start time and the line ends with the cue's end time;
cues without word times (after an edit) fall back to the plain line.
"""

from media_pipeline.subtitles.model import Cue, display_line, needs_space
from media_pipeline.subtitles.timecode import lrc_time


def to_lrc(cues: list[Cue], enhanced: bool = False) -> str:
    out = []
    for c in cues:
        if enhanced and c.words:
            body = ""
            for prev, w in zip((None, *c.words), c.words, strict=False):
                space = " " if prev is not None and needs_space(prev.text, w.text) else ""
                body += f"{space}<{lrc_time(w.start_ms)}>{display_line(w.text)}"
            out.append(f"[{lrc_time(c.start_ms)}]{body} <{lrc_time(c.end_ms)}>")
        else:
            out.append(f"[{lrc_time(c.start_ms)}]{display_line(c.text)}")
    if cues:  # an empty timed line clears the last lyric when it ends
        out.append(f"[{lrc_time(cues[-1].end_ms)}]")
    return "\n".join(out) + "\n"


def to_enhanced_lrc(cues: list[Cue]) -> str:
    """Enhanced LRC (A2 extension): ``[mm:ss.xx]<mm:ss.xx>word <mm:ss.xx>word ... <end>``."""
    return to_lrc(cues, enhanced=True)
