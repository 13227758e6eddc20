"""DER and cpWER against hand-worked cases of their definitions."""

import pytest

from media_pipeline.text.diarization_eval import diarization_error, speaker_attributed_wer

REF = [(0.0, 10.0, "A"), (10.0, 20.0, "B")]


def test_perfect_hypothesis_under_other_names_scores_zero() -> None:
    result = diarization_error(REF, [(0.0, 10.0, "x"), (10.0, 20.0, "y")])
    assert result.der == 0.0
    assert result.reference_s == pytest.approx(19.0)  # 0.25 s off each boundary side


def test_a_late_boundary_inside_the_collar_is_forgiven_outside_it_is_confusion() -> None:
    late = [(0.0, 10.2, "x"), (10.2, 20.0, "y")]
    assert diarization_error(REF, late).der == 0.0
    no_collar = diarization_error(REF, late, collar_s=0.0)
    assert no_collar.confusion_s == pytest.approx(0.2)
    assert no_collar.der == pytest.approx(0.2 / 20)


def test_missed_and_false_alarm_speech() -> None:
    only_a = diarization_error(REF, [(0.0, 10.0, "x")])
    assert only_a.missed_s == pytest.approx(9.5)  # B's 10 s less its two collars
    assert only_a.der == pytest.approx(9.5 / 19.0)
    extra = diarization_error(REF, [*REF, (25.0, 30.0, "A")], collar_s=0.0)
    assert extra.false_alarm_s == pytest.approx(5.0)
    assert extra.der == pytest.approx(5.0 / 20)


def test_overlap_counts_once_per_speaker_and_mapping_is_one_to_one() -> None:
    ref = [(0.0, 10.0, "A"), (5.0, 15.0, "B")]
    one_voice = diarization_error(ref, [(0.0, 15.0, "x")], collar_s=0.0)
    # 20 s of reference speech; 5 s of the overlap is missed; B's 5 s alone is confusion
    assert (one_voice.missed_s, one_voice.confusion_s) == pytest.approx((5.0, 5.0))
    assert one_voice.der == pytest.approx(0.5)


def test_speaker_attributed_wer_pairs_speakers_by_fewest_errors() -> None:
    ref = {"A": "hello world", "B": "good morning"}
    assert speaker_attributed_wer(ref, {"1": "Good morning.", "2": "hello word"}) == 0.25
    assert speaker_attributed_wer(ref, {"1": "hello world good morning"}) == 1.0
    assert speaker_attributed_wer(ref, {"1": "hello world", "2": "good morning"}) == 0.0
