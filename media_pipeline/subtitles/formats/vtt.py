"""WebVTT: header, dot milliseconds; '&', '<' and '-->' are escaped as the spec asks."""

from media_pipeline.subtitles.model import Cue, display_line, display_lines
from media_pipeline.subtitles.timecode import cue_span, defuse_times, vtt_time
from media_pipeline.subtitles.voices import line_speakers, shows_speakers


def _escape(line: str) -> str:
    # '&' and '<' may not appear raw in cue text; '>' only matters in '-->', which ends a cue.
    # Times in the text are defused too (see defuse_times): lenient parsers need no arrow.
    return defuse_times(line).replace("&", "&amp;").replace("<", "&lt;").replace("-->", "--&gt;")


def _voice(name: str) -> str:
    # The annotation ends at '>'; '&' and '<' are escaped as in cue text.
    return "<v " + _escape(display_line(name)).replace(">", "&gt;") + ">"


def _voiced_lines(cue: Cue) -> list[str]:
    """A cue's lines, each line that starts a speaker's words opened by ``<v Name>`` (a
    voice span without its end tag lasts to the end of the cue, as WebVTT allows)."""
    out, last = [], ""
    pairs = zip(cue.lines, line_speakers(cue), strict=True)
    for line, speaker in ((display_line(a), b) for a, b in pairs):
        if not line.strip():
            continue
        voice = _voice(speaker) if speaker and speaker != last else ""
        out.append(("</v>" if voice and last else "") + voice + _escape(line))
        last = speaker or last
    return out


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT; with more than one speaker, cues carry voice spans (``<v Speaker 1>``)."""
    voices = shows_speakers(cues)
    blocks = []
    for c in cues:
        start, end = cue_span(c.start_ms, c.end_ms)
        lines = _voiced_lines(c) if voices else [_escape(x) for x in display_lines(c.lines)]
        blocks.append(f"{vtt_time(start)} --> {vtt_time(end)}\n" + "\n".join(lines) + "\n")
    return "WEBVTT\n\n" + "\n".join(blocks)
