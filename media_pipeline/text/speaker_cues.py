"""Speakers on words and cues: each word takes the speaker whose turn covers it most, cues
never mix speakers, and the optional dual-speaker dash style pairs two short exchanges.

Turns are plain ``(start_s, end_s, speaker)`` tuples (the diarization's, on the source
timeline), so this module needs nothing from the audio side.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace

from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.subtitles.voices import DASH, speaker_runs

Turn = tuple[float, float, str]
DASH_MAX_GAP_MS = 1000
"""Two speakers' cues further apart than this are never paired into one dash cue."""


def speaker_at(turns: Sequence[Turn], start_s: float, end_s: float) -> str:
    """The speaker of a span: the turn overlapping it most, else the nearest ("" if none)."""
    best, best_overlap, best_gap = "", 0.0, float("inf")
    for lo, hi, speaker in turns:
        overlap = min(end_s, hi) - max(start_s, lo)
        if overlap > best_overlap:
            best, best_overlap = speaker, overlap
        elif best_overlap <= 0:
            gap = max(lo - end_s, start_s - hi, 0.0)
            if gap < best_gap:
                best, best_gap = speaker, gap
    return best


def assign_speakers(words: Sequence[Word], turns: Sequence[Turn]) -> list[Word]:
    """Every word with its speaker (unchanged when there are no turns)."""
    if not turns:
        return list(words)
    return [replace(w, speaker=speaker_at(turns, w.start_ms / 1000, w.end_ms / 1000))
            for w in words]


def segment_by_speaker(words: Sequence[Word], segment: Callable[[list[Word]], list[Cue]],
                       retime: Callable[[list[Cue]], list[Cue]]) -> list[Cue]:
    """Cues that never hold two speakers: each run of one speaker segmented on its own, then
    every cue re-timed together (a run's last cue must not run into the next one's)."""
    ordered = sorted(words, key=lambda w: w.start_ms)
    if len({w.speaker for w in ordered}) < 2:
        cues = segment(ordered)
        speaker = ordered[0].speaker if ordered else ""
        return [replace(c, speaker=speaker) for c in cues] if speaker else cues
    cues = [replace(c, speaker=run[0].speaker)
            for run in speaker_runs(ordered) for c in segment(run)]
    return retime(cues)


def dash_pairs(cues: Sequence[Cue], max_chars_per_line: int, max_duration_ms: int) -> list[Cue]:
    """Two consecutive one-line cues of different speakers become one cue of two lines, each
    begun with "- " (the dual-speaker style), when both fit a line and the time allows."""
    out: list[Cue] = []
    i = 0
    while i < len(cues):
        a = cues[i]
        b = cues[i + 1] if i + 1 < len(cues) else None
        if b is not None and _pairable(a, b, max_chars_per_line, max_duration_ms):
            out.append(Cue(a.start_ms, b.end_ms, (DASH + a.lines[0], DASH + b.lines[0]),
                           a.words + b.words, a.speaker))
            i += 2
        else:
            out.append(a)
            i += 1
    return out


def _pairable(a: Cue, b: Cue, max_chars: int, max_duration_ms: int) -> bool:
    return (bool(a.speaker) and bool(b.speaker) and a.speaker != b.speaker
            and len(a.lines) == 1 and len(b.lines) == 1
            and max(len(a.lines[0]), len(b.lines[0])) + len(DASH) <= max_chars
            and b.start_ms - a.end_ms <= DASH_MAX_GAP_MS
            and b.end_ms - a.start_ms <= max_duration_ms)


def renamed(cues: Sequence[Cue], names: dict[str, str]) -> list[Cue]:
    """``cues`` with speakers renamed by ``names`` (a label without a new name keeps its own)."""
    if not names:
        return list(cues)

    def name(label: str) -> str:
        return names.get(label, label) if label else label
    return [replace(c, speaker=name(c.speaker),
                    words=tuple(replace(w, speaker=name(w.speaker)) for w in c.words))
            for c in cues]
