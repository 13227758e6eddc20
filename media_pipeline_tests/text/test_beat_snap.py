"""Beat snapping moves boundaries only within tolerance and never breaks profile rules."""

from media_pipeline.subtitles.model import Cue
from media_pipeline.text.beat_snap import SnapOptions, nearest_beat, snap_cues

BEATS = list(range(0, 20000, 500))  # 120 BPM
OPTIONS = SnapOptions(tolerance_beats=0.25, max_ms=120, min_duration_ms=834, min_gap_ms=84,
                      max_cps=20.0)


def cue(start: int, end: int, text: str = "la la la") -> Cue:
    return Cue(start, end, (text,))


def test_nearest_beat_within_a_quarter_beat_and_120_ms() -> None:
    assert nearest_beat(1090, BEATS, OPTIONS) == 1000
    assert nearest_beat(1130, BEATS, OPTIONS) is None  # 130 ms > 120 ms
    slow = SnapOptions(tolerance_beats=0.25, max_ms=1000)
    assert nearest_beat(1120, BEATS, slow) == 1000  # within a quarter beat (125 ms)
    assert nearest_beat(1130, BEATS, slow) is None
    assert nearest_beat(5, [], OPTIONS) is None


def test_snaps_starts_and_ends_and_reports() -> None:
    cues = [cue(1080, 2930), cue(3460, 5050)]
    out, report = snap_cues(cues, BEATS, OPTIONS)
    assert [(c.start_ms, c.end_ms) for c in out] == [(1000, 3000), (3500, 5000)]
    assert report.cues_moved == 2 and report.starts_moved == 2 and report.ends_moved == 2
    assert report.max_shift_ms == 80
    assert out[0].lines == cues[0].lines


def test_never_overlaps_or_leaves_less_than_the_gap() -> None:
    cues = [cue(1000, 2940), cue(2990, 4000)]  # end would snap to 3000, past the next start
    out, report = snap_cues(cues, BEATS, OPTIONS)
    assert out[0].end_ms == 2940 and report.refused >= 1
    assert out[1].start_ms - out[0].end_ms >= 0


def test_never_shorter_than_the_minimum_or_faster_than_max_cps() -> None:
    out, report = snap_cues([cue(900, 1780)], BEATS, OPTIONS)  # start → 1000 leaves 780 ms
    assert (out[0].start_ms, out[0].end_ms) == (900, 1780) and report.refused == 1
    out, _ = snap_cues([Cue(1000, 2890, ("x" * 37,))], [1000, 2950], OPTIONS)
    assert out[0].end_ms == 2950  # growing is always fine
    out, report = snap_cues([Cue(1000, 1900, ("x" * 18,))], [1000, 1800], OPTIONS)
    assert out[0].end_ms == 1900 and report.refused == 1  # 18 chars in 0.8 s: too fast


def test_no_beats_no_change() -> None:
    cues = [cue(1000, 2000)]
    out, report = snap_cues(cues, [], OPTIONS)
    assert out == cues and report.cues_moved == 0
