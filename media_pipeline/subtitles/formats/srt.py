"""SubRip: numbered cues, comma milliseconds, text exactly as given."""

from media_pipeline.subtitles.model import Cue
from media_pipeline.subtitles.timecode import srt_time


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{i}\n{srt_time(c.start_ms)} --> {srt_time(c.end_ms)}\n" + "\n".join(c.lines) + "\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)
