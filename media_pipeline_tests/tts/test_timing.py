import pytest

from media_pipeline.tts.chunker import Chunk
from media_pipeline.tts.errors import TimingMergeError
from media_pipeline.tts.providers.base import TimedSentence, TimedWord
from media_pipeline.tts.timing import TimingNormalizer, estimate_word_timings

TEXT = "Hello there. General Kenobi! You are a bold one."
CHUNKS = [Chunk(0, "Hello there. General Kenobi!", 0), Chunk(1, "You are a bold one.", 29)]


def words_chunk0() -> list[TimedWord]:
    return [
        TimedWord("Hello", 100, 400, 0),
        TimedWord("there.", 450, 800, 6),
        TimedWord("General", 1000, 1400, 13),
        TimedWord("Kenobi!", 1450, 1900, 21),
    ]


def words_chunk1() -> list[TimedWord]:
    return [
        TimedWord("You", 50, 200),
        TimedWord("are", 220, 350),
        TimedWord("a", 360, 400),
        TimedWord("bold", 420, 700),
        TimedWord("one.", 720, 1020),  # 20 ms past the chunk: clamped, not fatal
    ]


def test_merge_shifts_time_and_text_offsets() -> None:
    merged = TimingNormalizer().merge_word_timings(
        CHUNKS, [words_chunk0(), words_chunk1()], [0, 2000], [2000, 1000]
    )
    assert merged[3] == TimedWord("Kenobi!", 1450, 1900, 21)
    assert merged[4:] == [
        TimedWord("You", 2050, 2200, 29),
        TimedWord("are", 2220, 2350, 33),
        TimedWord("a", 2360, 2400, 37),
        TimedWord("bold", 2420, 2700, 39),
        TimedWord("one.", 2720, 3000, 44),
    ]
    assert all(TEXT[w.offset or 0 :].startswith(w.text) for w in merged)


def test_sentences_from_words() -> None:
    normalizer = TimingNormalizer()
    merged = normalizer.merge_word_timings(
        CHUNKS, [words_chunk0(), words_chunk1()], [0, 2000], [2000, 1000]
    )
    assert normalizer.sentences_from_words(TEXT, merged) == [
        TimedSentence("Hello there.", 100, 800, 0),
        TimedSentence("General Kenobi!", 1000, 1900, 13),
        TimedSentence("You are a bold one.", 2050, 3000, 29),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        [TimedWord("You", 300, 400, 0), TimedWord("are", 100, 200, 4)],  # goes backwards
        [TimedWord("You", 300, 200, 0)],  # ends before it starts
        [TimedWord("You", 0, 1500, 0)],  # far past the chunk's audio
        [TimedWord("You", 0, 100, 99)],  # offset outside the chunk
        [TimedWord("You", 0, 100)],  # no offsets and a count that does not match
    ],
)
def test_merge_rejects_bad_timings(bad: list[TimedWord]) -> None:
    with pytest.raises(TimingMergeError):
        TimingNormalizer().merge_word_timings(
            CHUNKS, [words_chunk0(), bad], [0, 2000], [2000, 1000]
        )


def test_estimated_sentences_use_each_chunks_real_duration() -> None:
    sentences = TimingNormalizer().estimate_sentence_timings(TEXT, CHUNKS, [0, 2800], [2800, 1900])
    # Chunk 0 is 28 characters over 2800 ms: 100 ms per character.
    assert sentences == [
        TimedSentence("Hello there.", 0, 1200, 0),
        TimedSentence("General Kenobi!", 1300, 2800, 13),
        TimedSentence("You are a bold one.", 2800, 4700, 29),
    ]


def test_estimated_sentence_split_across_chunks() -> None:
    text = "one two three four"
    chunks = [Chunk(0, "one two", 0), Chunk(1, "three four", 8)]
    sentences = TimingNormalizer().estimate_sentence_timings(text, chunks, [0, 700], [700, 1000])
    assert sentences == [TimedSentence(text, 0, 1700, 0)]
    one_chunk = TimingNormalizer().estimate_sentence_timings(text, [Chunk(0, text, 0)], [0], [1800])
    assert one_chunk == [TimedSentence(text, 0, 1800, 0)]


def test_estimate_word_timings() -> None:
    assert estimate_word_timings("Hi big world", 1200) == [
        TimedWord("Hi", 0, 200, 0),
        TimedWord("big", 300, 600, 3),
        TimedWord("world", 700, 1200, 7),
    ]
