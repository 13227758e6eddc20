"""Snap cue starts and ends to the beat grid, only where a beat is close.

A boundary moves to the nearest beat when that beat is within the tolerance: a share of the
local beat period (default a quarter beat) and never more than ``max_ms`` (default 120 ms).
A move is refused when it would make the cue shorter than the profile's minimum duration or
longer than its maximum, push its reading speed over the profile's maximum, overlap a
neighbour or leave less than the minimum gap. Word times are kept; only cue boundaries move.
"""

import bisect
from dataclasses import dataclass, field

from media_pipeline.subtitles.model import Cue


@dataclass(frozen=True)
class SnapOptions:
    """How far a boundary may move, and the profile limits a move must keep."""

    tolerance_beats: float = 0.25
    """Largest move as a share of the local beat period."""
    max_ms: int = 120
    """Largest move in milliseconds, whatever the tempo."""
    min_duration_ms: int = 834
    max_duration_ms: int = 7000
    min_gap_ms: int = 84
    max_cps: float = 20.0


@dataclass(frozen=True)
class SnapReport:
    """What snapping did: boundaries moved and the largest move."""

    starts_moved: int = 0
    ends_moved: int = 0
    cues_moved: int = 0
    refused: int = 0
    max_shift_ms: int = 0
    shifts_ms: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {"cues_moved": self.cues_moved, "starts_moved": self.starts_moved,
                "ends_moved": self.ends_moved, "refused": self.refused,
                "max_shift_ms": self.max_shift_ms}


def nearest_beat(t_ms: int, beats_ms: list[int], options: SnapOptions) -> int | None:
    """The beat nearest ``t_ms`` if it is within the tolerance there, else None."""
    if not beats_ms:
        return None
    i = bisect.bisect_left(beats_ms, t_ms)
    candidates = [beats_ms[j] for j in (i - 1, i) if 0 <= j < len(beats_ms)]
    beat = min(candidates, key=lambda b: abs(b - t_ms))
    j = bisect.bisect_left(beats_ms, beat)
    neighbours = [beats_ms[k + 1] - beats_ms[k] for k in (j - 1, j) if 0 <= k < len(beats_ms) - 1]
    period = min(neighbours) if neighbours else 0
    tolerance = min(options.max_ms, options.tolerance_beats * period) if period else 0
    return beat if abs(beat - t_ms) <= tolerance else None


def _fits(cue: Cue, start: int, end: int, options: SnapOptions) -> bool:
    duration = end - start
    if duration < min(options.min_duration_ms, cue.duration_ms):
        return False
    if duration > max(options.max_duration_ms, cue.duration_ms):  # never past the profile's
        return False
    chars = sum(len(line) for line in cue.lines)
    old_ok = cue.duration_ms > 0 and chars * 1000 <= options.max_cps * cue.duration_ms
    return not old_ok or chars * 1000 <= options.max_cps * duration


def snap_cues(cues: list[Cue], beats_ms: list[int] | tuple[int, ...],
              options: SnapOptions = SnapOptions()) -> tuple[list[Cue], SnapReport]:
    """``cues`` (in time order) with boundaries moved onto nearby beats, and a report."""
    beats = sorted(beats_ms)
    out: list[Cue] = []
    starts = ends = moved = refused = 0
    shifts: list[int] = []
    for i, cue in enumerate(cues):
        lo = out[-1].end_ms + options.min_gap_ms if out else 0
        hi = cues[i + 1].start_ms - options.min_gap_ms if i + 1 < len(cues) else None
        start, end = cue.start_ms, cue.end_ms
        new_start = nearest_beat(start, beats, options)
        new_end = nearest_beat(end, beats, options)
        if new_start is not None and new_start != start:
            if new_start >= lo and new_start < end and _fits(cue, new_start, end, options):
                start = new_start
            else:
                refused += 1
        if new_end is not None and new_end != end:
            if (hi is None or new_end <= hi) and new_end > start and _fits(
                    cue, start, new_end, options):
                end = new_end
            else:
                refused += 1
        starts += start != cue.start_ms
        ends += end != cue.end_ms
        if (start, end) != (cue.start_ms, cue.end_ms):
            moved += 1
            shifts.extend(abs(a - b) for a, b in ((start, cue.start_ms), (end, cue.end_ms))
                          if a != b)
        out.append(cue.with_times(start, end))
    report = SnapReport(starts, ends, moved, refused, max(shifts, default=0), tuple(shifts))
    return out, report
