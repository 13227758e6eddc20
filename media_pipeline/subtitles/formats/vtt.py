"""WebVTT: header, dot milliseconds; '&', '<' and '-->' are escaped as the spec asks."""

from media_pipeline.subtitles.model import Cue, display_lines
from media_pipeline.subtitles.timecode import cue_span, defuse_times, vtt_time


def _escape(line: str) -> str:
    # '&' and '<' may not appear raw in cue text; '>' only matters in '-->', which ends a cue.
    # Times in the text are defused too (see defuse_times): lenient parsers need no arrow.
    return defuse_times(line).replace("&", "&amp;").replace("<", "&lt;").replace("-->", "--&gt;")


def to_vtt(cues: list[Cue]) -> str:
    blocks = []
    for c in cues:
        start, end = cue_span(c.start_ms, c.end_ms)
        text = "\n".join(_escape(line) for line in display_lines(c.lines))
        blocks.append(f"{vtt_time(start)} --> {vtt_time(end)}\n{text}\n")
    return "WEBVTT\n\n" + "\n".join(blocks)
