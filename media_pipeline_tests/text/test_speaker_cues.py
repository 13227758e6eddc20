"""Words take their turn's speaker; cues never mix speakers unless paired with dashes."""

import itertools

from media_pipeline.subtitles.model import Word
from media_pipeline.text.profiles import get_profile
from media_pipeline.text.segmentation import retime_cues, segment_words
from media_pipeline.text.speaker_cues import (
    assign_speakers,
    dash_pairs,
    renamed,
    segment_by_speaker,
    speaker_at,
)

PROFILE = get_profile("netflix-en")
TURNS = [(0.0, 2.0, "Speaker 1"), (2.0, 4.0, "Speaker 2"), (6.0, 8.0, "Speaker 1")]


def _words(text: str, start_ms: int, step_ms: int = 300) -> list[Word]:
    return [Word(w, start_ms + i * step_ms, start_ms + i * step_ms + 250)
            for i, w in enumerate(text.split())]


def _segment(words: list[Word]) -> list:
    return segment_by_speaker(assign_speakers(words, TURNS),
                              lambda ws: segment_words(ws, PROFILE),
                              lambda cs: retime_cues(cs, PROFILE))


def test_each_word_takes_the_turn_it_overlaps_most_or_the_nearest() -> None:
    assert speaker_at(TURNS, 1.9, 2.3) == "Speaker 2"
    assert speaker_at(TURNS, 4.5, 4.8) == "Speaker 2"  # in a gap: nearest turn
    assert speaker_at([], 1.0, 2.0) == ""
    words = assign_speakers(_words("a b c d e f g h", 0, 500), TURNS)
    assert [w.speaker[-1] for w in words] == list("11112222")


def test_cues_split_at_every_change_of_speaker() -> None:
    words = _words("so how are you", 0) + _words("fine thanks and you", 2100) + \
        _words("great", 6200)
    cues = _segment(words)
    assert [(c.speaker, c.text) for c in cues] == [
        ("Speaker 1", "so how are you"), ("Speaker 2", "fine thanks and you"),
        ("Speaker 1", "great")]
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(cues))
    assert all({w.speaker for w in c.words} == {c.speaker} for c in cues)


def test_dash_style_pairs_two_short_lines_of_two_speakers() -> None:
    cues = _segment(_words("how are you", 800) + _words("fine", 2100) + _words("great", 6200))
    paired = dash_pairs(cues, PROFILE.max_chars_per_line, PROFILE.max_duration_ms)
    assert paired[0].lines == ("- how are you", "- fine")
    assert paired[0].speaker == "Speaker 1" and len(paired) == 2
    assert paired[1].lines == ("great",)  # 2 s after: not paired


def test_renamed_reaches_cues_and_words_and_leaves_others() -> None:
    cues = _segment(_words("so how are you", 0) + _words("fine", 2100))
    out = renamed(cues, {"Speaker 2": "Bo"})
    assert [c.speaker for c in out] == ["Speaker 1", "Bo"]
    assert {w.speaker for w in out[1].words} == {"Bo"}
