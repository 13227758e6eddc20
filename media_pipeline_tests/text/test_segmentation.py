import random

import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.subtitles.rules import check_cues
from media_pipeline.text.linebreak import break_lines
from media_pipeline.text.profiles import get_profile
from media_pipeline.text.segmentation import retime_cues, segment_words, split_long_words

NETFLIX = get_profile("netflix-en")


def speak(text: str, start_ms: int = 0, ms_per_char: int = 60, gap_ms: int = 80) -> list[Word]:
    """Words read at a steady pace: each lasts ``ms_per_char`` per letter."""
    out, t = [], start_ms
    for tok in text.split():
        d = 100 + ms_per_char * len(tok)
        out.append(Word(tok, t, t + d, 0.9))
        t += d + gap_ms
    return out


def broken(cues: list[Cue], profile_name: str = "netflix-en") -> dict[str, list[object]]:
    found = check_cues(cues, get_profile(profile_name).limits)
    return {rule: [v.to_dict() for v in items] for rule, items in found.items() if items}


def test_sentences_become_cues_that_meet_every_rule() -> None:
    words = speak("This is the first sentence. And here is a second one that is a little "
                  "longer than the first, with a clause. Short.")
    cues = segment_words(words, NETFLIX)
    assert broken(cues) == {}
    assert " ".join(c.text for c in cues) == " ".join(w.text for w in words)
    assert cues[0].text == "This is the first sentence."


@pytest.mark.parametrize("profile_name", ["netflix-en", "bbc"])
def test_random_speech_always_meets_the_profile(profile_name: str) -> None:
    rng = random.Random(7)
    text = ("the a quick brown fox jumps over lazy dog, and then. Supercalifragilistic "
            "New York is extraordinarily big! what? I")
    vocab = text.split(" ")
    profile = get_profile(profile_name)
    for _ in range(60):
        t, words = rng.randint(0, 2000), []
        rate = rng.choice([0.3, 1.0, 2.5])  # 2.5: faster than anyone can read
        for _ in range(rng.randint(1, 120)):
            text = rng.choice(vocab)
            d = 0 if rng.random() < 0.05 else int((80 + 60 * len(text)) / rate)
            words.append(Word(text, t, t + d, 0.9))
            t += d + (rng.choice([0, 10, 300, 900, 3000]) if rng.random() < 0.5 else 0)
        cues = segment_words(words, profile)
        assert broken(cues, profile_name) == {}
        assert [x for c in cues for x in c.text.split()] == [w.text for w in words]


def test_fast_speech_runs_late_and_catches_up_in_the_pause() -> None:
    fast = speak("word " * 60, ms_per_char=10, gap_ms=0)  # ~40 characters a second
    later = speak("After the pause.", start_ms=fast[-1].end_ms + 20_000)
    cues = segment_words(fast + later, NETFLIX)
    assert broken(cues) == {}
    assert cues[-1].start_ms == later[0].start_ms  # the delay was absorbed by the pause


def test_a_cue_never_starts_after_its_first_word_without_need() -> None:
    words = speak("Hello there. General Kenobi.", gap_ms=700)
    cues = segment_words(words, NETFLIX)
    for cue in cues:
        assert cue.start_ms <= cue.words[0].start_ms


def test_names_are_not_split_across_lines() -> None:
    text = "We flew from London to New York on a rainy Tuesday night"
    lines = break_lines(text.split(" "), 42, 2)
    assert lines is not None
    assert not any(line.endswith("New") for line in lines)


def test_line_breaks_are_bottom_heavy_and_avoid_weak_endings() -> None:
    text = "I think that we should go to the station before it rains"
    lines = break_lines(text.split(" "), 42, 2)
    assert lines == ("I think that we should go", "to the station before it rains")


def test_overlong_word_is_cut_into_line_sized_pieces() -> None:
    word = Word("x" * 100, 0, 3000)
    pieces = split_long_words([word], 42)
    assert [len(p.text) for p in pieces] == [42, 42, 16]
    assert pieces[0].start_ms == 0 and pieces[-1].end_ms == 3000
    assert broken(segment_words([word], NETFLIX)) == {}


def test_retime_closes_small_gaps_and_keeps_the_minimum_gap() -> None:
    cues = [Cue(0, 1500, ("One cue",)), Cue(1700, 3000, ("Another",))]
    first, second = retime_cues(cues, NETFLIX)
    assert second.start_ms - first.end_ms == 90  # 2 frames at 24 fps, up to 10 ms steps
    assert second.start_ms == 1700
    assert all(t % 10 == 0 for c in (first, second) for t in (c.start_ms, c.end_ms))


def test_bbc_and_custom_profiles() -> None:
    bbc = get_profile("bbc")
    assert (bbc.max_chars_per_line, bbc.max_cps, bbc.quote_style) == (37, 15.0, "typographic")
    custom = get_profile("custom", max_chars_per_line=30, max_cps=12.0, frame_rate=25.0)
    assert custom.min_gap_ms == 80
    words = speak("a fairly long sentence that must be cut into several small cues for "
                  "a narrow screen and slow readers")
    cues = segment_words(words, custom)
    assert all(len(line) <= 30 for c in cues for line in c.lines)
    assert not check_cues(cues, custom.limits)["cps"]


def test_profile_errors() -> None:
    with pytest.raises(ConfigurationError, match="unknown segmentation profile"):
        get_profile("nope")
    with pytest.raises(ConfigurationError, match="unknown profile setting"):
        get_profile("custom", max_chars=3)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        get_profile("custom", max_cps=1.0)
