"""Style-guide rules a cue list must meet: line length and count, duration, reading speed, gaps.

:func:`check_cues` reports, per rule, the cues that break it; the Dagster asset checks on
``subtitles`` and the accuracy benchmark both use it. Characters are counted as displayed
(line breaks not counted), times in integer milliseconds.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.subtitles.model import Cue

RULES = ("line_length", "line_count", "duration", "cps", "gap", "overlap")
RULE_DESCRIPTIONS = {
    "line_length": "every line at most the profile's characters",
    "line_count": "at most the profile's number of lines",
    "duration": "each cue shown between the profile's minimum and maximum duration",
    "cps": "reading speed at most the profile's characters per second",
    "gap": "at least the profile's minimum gap (frames) between consecutive cues",
    "overlap": "no cue starts before the previous one ends",
}


@dataclass(frozen=True)
class RuleLimits:
    """The numbers the rules compare against (a segmentation profile provides them)."""

    max_chars_per_line: int
    max_lines: int
    min_duration_ms: int
    max_duration_ms: int
    max_cps: float
    min_gap_ms: int


@dataclass(frozen=True)
class Violation:
    """One cue breaking one rule; ``value`` is what was measured, ``limit`` what was allowed."""

    rule: str
    index: int
    start_ms: int
    end_ms: int
    text: str
    value: float
    limit: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (cue numbers are 1-based, as in SRT)."""
        return {"cue": self.index + 1, "start_ms": self.start_ms, "end_ms": self.end_ms,
                "text": self.text, "value": round(self.value, 3), "limit": self.limit}


def displayed_chars(cue: Cue) -> int:
    """Characters a viewer reads: every line's characters, line breaks not counted."""
    return sum(len(line) for line in cue.lines)


def cue_cps(cue: Cue) -> float:
    """Characters per second of ``cue`` (infinite for a zero-length cue with text)."""
    chars = displayed_chars(cue)
    if cue.duration_ms <= 0:
        return float("inf") if chars else 0.0
    return chars * 1000 / cue.duration_ms


def check_cues(cues: Sequence[Cue], limits: RuleLimits) -> dict[str, list[Violation]]:
    """Every rule in :data:`RULES` mapped to the cues that break it (empty list: rule met)."""
    out: dict[str, list[Violation]] = {rule: [] for rule in RULES}
    ordered = sorted(enumerate(cues), key=lambda ic: (ic[1].start_ms, ic[1].end_ms))

    def add(rule: str, i: int, cue: Cue, value: float, limit: float) -> None:
        out[rule].append(Violation(rule, i, cue.start_ms, cue.end_ms, cue.text, value, limit))

    for pos, (i, cue) in enumerate(ordered):
        longest = max((len(line) for line in cue.lines), default=0)
        if longest > limits.max_chars_per_line:
            add("line_length", i, cue, longest, limits.max_chars_per_line)
        if len(cue.lines) > limits.max_lines:
            add("line_count", i, cue, len(cue.lines), limits.max_lines)
        if cue.duration_ms < limits.min_duration_ms:
            add("duration", i, cue, cue.duration_ms, limits.min_duration_ms)
        elif cue.duration_ms > limits.max_duration_ms:
            add("duration", i, cue, cue.duration_ms, limits.max_duration_ms)
        cps = cue_cps(cue)
        if cps > limits.max_cps + 1e-9:
            add("cps", i, cue, cps, limits.max_cps)
        if pos + 1 < len(ordered):
            gap = ordered[pos + 1][1].start_ms - cue.end_ms
            if gap < 0:
                add("overlap", i, cue, -gap, 0)
            elif gap < limits.min_gap_ms:
                add("gap", i, cue, gap, limits.min_gap_ms)
    return out


def cues_from_file(path: Path) -> list[Cue]:
    """Cues as a player sees them in an exported SRT/VTT/ASS file (read with pysubs2)."""
    import pysubs2

    text = path.read_text(encoding="utf-8")
    if not text.strip():  # no cues (silence): pysubs2 cannot guess the format of nothing
        return []
    suffix = path.suffix.lstrip(".").lower()
    subs = pysubs2.SSAFile.from_string(
        text, format_=suffix if suffix in ("srt", "vtt", "ass", "ssa") else None)
    return [Cue(int(e.start), int(e.end), tuple(e.plaintext.split("\n")))
            for e in subs.events if not e.is_comment]


def check_srt_file(path: Path, limits: RuleLimits) -> tuple[int, dict[str, list[Violation]]]:
    """How many cues the file has and which break which rule (see :func:`check_cues`)."""
    cues = cues_from_file(path)
    return len(cues), check_cues(cues, limits)
