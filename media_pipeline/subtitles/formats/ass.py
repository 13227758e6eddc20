"""Advanced SubStation Alpha through pysubs2, with a readable default style."""

import re
from dataclasses import dataclass
from typing import Any

from media_pipeline.subtitles.model import Cue, display_line, display_lines
from media_pipeline.subtitles.timecode import cue_span
from media_pipeline.subtitles.voices import speakers_in

#: 9:59:59.99: ASS has a one-digit hour field (pysubs2 would clamp too, with a warning).
MAX_ASS_MS = 9 * 3_600_000 + 59 * 60_000 + 59_990


@dataclass(frozen=True)
class AssStyle:
    """The look of burned-in or player-rendered ASS subtitles."""

    font: str = "DejaVu Sans"
    size: int = 56
    outline: float = 3.0
    shadow: float = 1.0
    margin_v: int = 60
    margin_h: int = 80
    alignment: int = 2  # bottom centre (numpad layout)
    play_res_x: int = 1920
    play_res_y: int = 1080


def _escape(line: str) -> str:
    # Braces start override blocks, and \N \n \h are line breaks and hard spaces: a word
    # joiner after such a backslash keeps it literal. ASS has no escape for braces. A control
    # character (a raw line feed above all) would end the Dialogue line early.
    line = re.sub(r"\\(?=[Nnh])", "\\\\\u2060", display_line(line))
    return line.replace("{", "(").replace("}", ")")


#: Primary colours of the speakers' styles (RGB), in order of first appearance; readable
#: on video with the black outline, told apart without relying on red against green alone.
SPEAKER_COLOURS = ((255, 255, 255), (255, 230, 90), (110, 200, 255), (150, 240, 140),
                   (255, 160, 200), (255, 180, 100), (200, 170, 255), (170, 250, 240))


def style_name(speaker: str) -> str:
    """An ASS style name for a speaker (a comma would end the Style line's field)."""
    return speaker.replace(",", " ").strip() or "Default"


def _speaker_styles(subs: Any, default: Any, speakers: list[str]) -> None:
    import pysubs2

    for i, speaker in enumerate(speakers):
        own = default.copy()
        own.primarycolor = pysubs2.Color(*SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)])
        subs.styles[style_name(speaker)] = own


def to_ass(cues: list[Cue], style: AssStyle = AssStyle(), karaoke: bool = False) -> str:
    """ASS document; with ``karaoke`` each word gets a ``\\k`` duration tag; with more than
    one speaker each has a style of its own (its colour) and is the events' Name."""
    import pysubs2

    subs = pysubs2.SSAFile()
    subs.info["PlayResX"] = str(style.play_res_x)
    subs.info["PlayResY"] = str(style.play_res_y)
    subs.info["WrapStyle"] = "2"  # our line breaks are final
    default = pysubs2.SSAStyle(
        fontname=style.font, fontsize=style.size, outline=style.outline, shadow=style.shadow,
        marginv=style.margin_v, marginl=style.margin_h, marginr=style.margin_h,
        alignment=pysubs2.Alignment(style.alignment),
        primarycolor=pysubs2.Color(255, 255, 255), secondarycolor=pysubs2.Color(255, 200, 0),
        outlinecolor=pysubs2.Color(0, 0, 0), backcolor=pysubs2.Color(0, 0, 0, 128),
    )
    subs.styles["Default"] = default
    speakers = speakers_in(cues)
    voices = len(speakers) > 1
    if voices:
        _speaker_styles(subs, default, speakers)
    for c in cues:
        text = (_karaoke_text(c) if karaoke and c.words
                else "\\N".join(_escape(x) for x in display_lines(c.lines)))
        start, end = (min(t, MAX_ASS_MS) for t in cue_span(c.start_ms, c.end_ms))
        event = pysubs2.SSAEvent(start=start, end=end, text=text)
        if voices and c.speaker:
            event.style = event.name = style_name(display_line(c.speaker))
        subs.events.append(event)
    return str(subs.to_string("ass"))


def _karaoke_text(cue: Cue) -> str:
    parts, cursor = [], cue.start_ms
    for w in cue.words:
        lead = max(0, w.start_ms - cursor)
        if lead >= 10:
            parts.append(f"{{\\k{lead // 10}}}")
        parts.append(f"{{\\k{max(1, w.duration_ms // 10)}}}{_escape(w.text)} ")
        cursor = max(cursor, w.end_ms)
    return "".join(parts).rstrip()
