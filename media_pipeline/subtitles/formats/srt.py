"""SubRip: numbered cues, comma milliseconds, the text as given but for what would break
the file's structure (see :func:`srt_line`)."""

from media_pipeline.subtitles.model import Cue, display_lines
from media_pipeline.subtitles.timecode import cue_span, defuse_times, srt_time
from media_pipeline.subtitles.voices import prefixed, shows_speakers

# SubRip has no escapes, and parsers take any line holding "-->" for a timing line, so an
# arrow in the text would start a bogus cue. "→" reads the same to a viewer and is in every
# subtitle font we ship or expect; WebVTT instead has a real escape ("--&gt;").
SAFE_ARROW = "\u2192"


def srt_line(line: str) -> str:
    """One text line that no SRT parser mistakes for a timing line."""
    return defuse_times(line).replace("-->", SAFE_ARROW)


def to_srt(cues: list[Cue], speaker_prefix: bool = False) -> str:
    """SubRip; with ``speaker_prefix`` and more than one speaker, each cue (each line of a
    dash cue) begins with "Speaker 1: "."""
    if speaker_prefix and shows_speakers(cues):
        cues = prefixed(cues)
    blocks = []
    for i, c in enumerate(cues, 1):
        start, end = cue_span(c.start_ms, c.end_ms)
        text = "\n".join(srt_line(line) for line in display_lines(c.lines))
        blocks.append(f"{i}\n{srt_time(start)} --> {srt_time(end)}\n{text}\n")
    return "\n".join(blocks)
