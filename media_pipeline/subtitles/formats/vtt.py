"""WebVTT: header, dot milliseconds; '&', '<' and '-->' are escaped as the spec asks."""

from media_pipeline.subtitles.model import Cue
from media_pipeline.subtitles.timecode import vtt_time


def _escape(line: str) -> str:
    # '&' and '<' may not appear raw in cue text; '>' only matters in '-->', which ends a cue.
    return line.replace("&", "&amp;").replace("<", "&lt;").replace("-->", "--&gt;")


def to_vtt(cues: list[Cue]) -> str:
    blocks = [
        f"{vtt_time(c.start_ms)} --> {vtt_time(c.end_ms)}\n"
        + "\n".join(_escape(line) for line in c.lines) + "\n"
        for c in cues
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)
