"""Lyrics parsing, global DP alignment vs the seed's greedy matcher, timing of every line."""

import csv
import json
import statistics
from pathlib import Path

import pytest

from media_pipeline.subtitles.model import Word
from media_pipeline.text.lyrics import (
    align_dp,
    align_greedy,
    align_lyrics,
    looks_english,
    normalize,
    parse_lyrics,
)

DATA = Path(__file__).parent / "data" / "fantasma_words.json"


def test_parse_keeps_text_and_counts_verses() -> None:
    text = "\ufeff[ti:Song]\n[Chorus]\n[00:01.00]Hello,  world\nsecond line\n\n\nThird ¿Qué?\n"
    lines = parse_lyrics(text)
    assert [x.text for x in lines] == ["Hello, world", "second line", "Third ¿Qué?"]
    assert [x.verse for x in lines] == [0, 0, 1]
    assert lines[2].words == ("Third", "¿Qué?")


def test_normalize_folds_case_accents_punctuation() -> None:
    assert [normalize(w) for w in ("¿Qué?", "Extraña,", "don't", "--")] == [
        "que", "extrana", "dont", ""]


def words_at(texts: list[str], start_ms: int = 0, step_ms: int = 500) -> list[Word]:
    return [Word(t, start_ms + i * step_ms, start_ms + i * step_ms + 400)
            for i, t in enumerate(texts)]


def test_dp_tolerates_misrecognition_skipped_line_and_repeated_chorus() -> None:
    lyric = ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    # "tree" misheard, "five six" never recognised, an extra "la la" sung in between
    rec = ["one", "two", "tree", "four", "la", "la", "seven", "eight"]
    anchors = align_dp(lyric, rec)
    pairs = {(a.lyric[0], a.rec[0]) for a in anchors}
    assert {(0, 0), (1, 1), (2, 2), (3, 3), (6, 6), (7, 7)} <= pairs
    assert not any(a.lyric[0] in (4, 5) for a in anchors)


def test_dp_keeps_place_when_a_chorus_is_sung_more_often_than_written() -> None:
    chorus = ["oh", "my", "darling"]
    lyric = ["first", "verse", "here", *chorus, "second", "verse", "ends"]
    rec = ["first", "verse", "here", *chorus, *chorus, "second", "verso", "ends"]
    pairs = {(a.lyric[0], a.rec[0]) for a in align_dp(lyric, rec)}
    assert {(0, 0), (1, 1), (2, 2), (6, 9), (7, 10), (8, 11)} <= pairs
    assert {a for a, _ in pairs} >= {3, 4, 5}  # the chorus is paired once


def test_dp_merges_split_and_joined_words() -> None:
    anchors = align_dp(["fantasma", "si", "mismo"], ["fan", "tasma", "sinismo"])
    assert [(a.lyric, a.rec) for a in anchors] == [((0, 1), (0, 2)), ((1, 3), (2, 3))]


def test_every_line_is_timed_and_text_is_exact() -> None:
    lyrics = "Hello there,  friend\nno one sang this\n\nGood bye now"
    rec = words_at(["hello", "there", "friend"], 1000) + words_at(["good", "bye", "now"], 9000)
    result = align_lyrics(lyrics, rec, 12000)
    texts = [x.text for x in result.lines]
    assert texts == ["Hello there, friend", "no one sang this", "Good bye now"]
    assert [w.text for w in result.lines[0].words] == ["Hello", "there,", "friend"]
    starts = [x.start_ms for x in result.lines]
    assert starts == sorted(starts)
    assert result.lines[0].start_ms == 1000 and result.lines[2].start_ms == 9000
    # the unrecognised line of the first verse follows that verse
    assert 2400 <= result.lines[1].start_ms < 4000
    assert result.lines[1].anchored_words == 0


def test_no_recognised_words_still_times_every_line() -> None:
    result = align_lyrics("a b\nc d", [], 10000)
    assert len(result.lines) == 2 and result.lines[0].start_ms < result.lines[1].start_ms


def test_unknown_method() -> None:
    with pytest.raises(ValueError):
        align_lyrics("a", [], 1000, "magic")


def line_errors(corpus: Path, model: str, method: str) -> list[float]:
    base = corpus / "lyrics" / "Fantasma_-_Los_Rombos"
    rec = [Word(t, s, e, p) for t, s, e, p in json.loads(DATA.read_text())[model]]
    result = align_lyrics((base.with_suffix(".txt")).read_text(encoding="utf-8"), rec,
                          166_000, method)
    with open(f"{base}.lines.csv", encoding="utf-8") as fh:
        ref = [float(r["start_time"]) for r in csv.DictReader(fh)]
    assert len(result.lines) == len(ref)
    return sorted(abs(x.start_ms / 1000 - r) for x, r in zip(result.lines, ref, strict=True))


@pytest.mark.parametrize("model", ["base", "tiny.en"])
def test_dp_beats_greedy_on_the_corpus_song(corpus: Path, model: str) -> None:
    dp, greedy = line_errors(corpus, model, "dp"), line_errors(corpus, model, "greedy")

    def p90(e: list[float]) -> float:
        return e[int(0.9 * (len(e) - 1))]

    assert statistics.median(dp) <= statistics.median(greedy)
    assert statistics.fmean(dp) < statistics.fmean(greedy)
    assert p90(dp) < p90(greedy)
    if model == "base":
        assert statistics.median(dp) <= 0.5 and p90(dp) <= 1.0


def test_greedy_only_looks_ahead() -> None:
    anchors = align_greedy(["a", "b"], ["b", "a"])
    assert [(a.lyric, a.rec) for a in anchors] == [((0, 1), (1, 2))]


def test_looks_english() -> None:
    assert looks_english("I love you and you love me, it's all that we need")
    assert not looks_english("soy un fantasma que se asusta de si mismo")


def test_a_line_of_sung_sounds_leaves_unclaimed_words_to_the_words() -> None:
    from media_pipeline.text.lyrics import is_vocalise

    lyrics = "soy un fantasma\n\nooh ooh ooh ooh\n\nla tristeza es muy extraña\n"
    rec = [*words_at(["soy", "un", "fantasma"]),
           Word("Otis", 30_000, 31_400), *words_at(["muy", "extraña"], 31_500)]
    lines = align_lyrics(lyrics, rec, end_ms=40_000).lines
    assert [is_vocalise(x) for x in parse_lyrics(lyrics)] == [False, True, False]
    # The misheard "Otis" is where "la tristeza es" was sung, not the "ooh"s: those are
    # centred in the instrumental gap between the verses.
    assert lines[2].start_ms == 30_000
    assert lines[1].start_ms > 2_000 and lines[1].end_ms < 29_000
    assert abs((lines[1].start_ms + lines[1].end_ms) / 2 - 16_000) < 1_000


@pytest.mark.parametrize(("line", "sounds"), [
    ("Ooh, ooh!", True), ("la la la", True), ("Mmm", True), ("Whoa-oh", False),
    ("la tristeza", False), ("oh my love", False), ("na na na", True)])
def test_what_counts_as_sung_sounds(line: str, sounds: bool) -> None:
    from media_pipeline.text.lyrics import is_vocalise

    assert is_vocalise(parse_lyrics(line)[0]) is sounds
