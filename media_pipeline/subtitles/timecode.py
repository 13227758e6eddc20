"""Every ms-to-timestamp conversion in one place.

Times are clamped to what the formats can hold, so a bad time (a negative or absurdly large
value from an old edit) gives a well-formed file, never a timestamp a parser rejects.
"""

import re

#: 99:59:59.999: the largest time SRT's and WebVTT's two-digit hour field holds.
MAX_TIMESTAMP_MS = 99 * 3_600_000 + 59 * 60_000 + 59_999


def clamp_ms(ms: int) -> int:
    """``ms`` within 0 .. :data:`MAX_TIMESTAMP_MS`."""
    return min(max(0, int(ms)), MAX_TIMESTAMP_MS)


def cue_span(start_ms: int, end_ms: int) -> tuple[int, int]:
    """A cue's times clamped, with the end never before the start."""
    start = clamp_ms(start_ms)
    return start, max(start, clamp_ms(end_ms))


_TIME_LIKE = re.compile(r"\d:\d{1,2}:\d")
_DIGIT_COLON = re.compile(r"(?<=\d):(?=\d)")


def defuse_times(line: str) -> str:
    """A text line that no lenient parser reads as times: in a line holding something like
    ``00:00:09,000``, a word joiner (U+2060, invisible) follows each colon between digits.

    Lenient parsers (pysubs2, and so many editors built on it) take any line with two
    timestamps for a timing line, arrow or not; the joiner breaks the pattern without
    changing what a viewer sees.
    """
    return _DIGIT_COLON.sub(":\u2060", line) if _TIME_LIKE.search(line) else line


def _split(ms: int) -> tuple[int, int, int, int]:
    h, rest = divmod(clamp_ms(ms), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms_left = divmod(rest, 1000)
    return h, m, s, ms_left


def srt_time(ms: int) -> str:
    """``HH:MM:SS,mmm``."""
    h, m, s, f = _split(ms)
    return f"{h:02d}:{m:02d}:{s:02d},{f:03d}"


def vtt_time(ms: int) -> str:
    """``HH:MM:SS.mmm``."""
    h, m, s, f = _split(ms)
    return f"{h:02d}:{m:02d}:{s:02d}.{f:03d}"


def lrc_time(ms: int) -> str:
    """``mm:ss.xx`` (hundredths; minutes grow past 59 rather than wrapping)."""
    cs = clamp_ms(ms) // 10
    m, rest = divmod(cs, 6000)
    s, c = divmod(rest, 100)
    return f"{m:02d}:{s:02d}.{c:02d}"
