import random
import re

import pytest

from media_pipeline.tts.chunker import TextChunker, sentence_spans, word_spans

PARAGRAPH = (
    "Dr. Smith arrived at 5 p.m. on Tuesday. The weather was awful! Was it raining? "
    "Yes: it poured, and the streets, which had been dry for weeks, flooded quickly; "
    "nobody expected it.\nA new line starts here. And a short one."
)


def _words(text: str) -> list[str]:
    return text.split()


def check_invariants(text: str, limit: int) -> None:
    chunks = TextChunker().chunk(text, limit)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    covered = []
    previous_end = 0
    for chunk in chunks:
        assert 0 < len(chunk.text) <= limit
        assert text[chunk.offset : chunk.offset + len(chunk.text)] == chunk.text
        assert chunk.text == chunk.text.strip()
        # Between chunks there is only whitespace: no character is lost or duplicated.
        assert text[previous_end : chunk.offset].strip() == ""
        previous_end = chunk.offset + len(chunk.text)
        covered += chunk.text.split()
    assert text[previous_end:].strip() == ""
    longest_word = max((len(w) for w in text.split()), default=0)
    if longest_word <= limit:
        # Never a word split: chunk tokens are exactly the text's tokens.
        assert covered == _words(text)


@pytest.mark.parametrize("limit", [12, 25, 40, 80, 500])
def test_invariants_on_paragraph(limit: int) -> None:
    check_invariants(PARAGRAPH, limit)


def test_invariants_on_random_texts() -> None:
    rng = random.Random(7)
    vocab = ["a", "word", "longer", "extraordinarily", "x,", "end.", "why?", "so;", "—", "\n"]
    for _ in range(200):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 60)))
        check_invariants(text, rng.randint(15, 120))


def test_short_sentences_are_packed_and_split_at_sentence_ends() -> None:
    chunks = TextChunker().chunk("One two. Three four. Five six.", 20)
    assert [c.text for c in chunks] == ["One two. Three four.", "Five six."]
    assert [c.offset for c in chunks] == [0, 21]


def test_whole_text_under_limit_is_one_chunk() -> None:
    chunks = TextChunker().chunk("  Hello there. General Kenobi!  ", 100)
    assert [(c.text, c.offset) for c in chunks] == [("Hello there. General Kenobi!", 2)]


def test_long_sentence_splits_at_clause_punctuation_first() -> None:
    text = "First clause here, second clause there; third clause everywhere."
    chunks = TextChunker().chunk(text, 40)
    assert [c.text for c in chunks] == [
        "First clause here, second clause there;",
        "third clause everywhere.",
    ]


def test_long_clause_splits_at_spaces() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda"
    chunks = TextChunker().chunk(text, 20)
    assert [c.text for c in chunks] == [
        "alpha beta gamma",
        "delta epsilon zeta",
        "eta theta iota kappa",
        "lambda",
    ]


def test_word_longer_than_limit_is_cut_as_last_resort() -> None:
    url = "https://example.com/" + "x" * 30
    chunks = TextChunker().chunk(f"See {url} now.", 16)
    assert all(len(c.text) <= 16 for c in chunks)
    assert "".join(c.text for c in chunks if c.text not in ("See", "now.")) == url


def test_empty_text_and_bad_limit() -> None:
    assert TextChunker().chunk(" \n\t ", 10) == []
    with pytest.raises(ValueError):
        TextChunker().chunk("text", 0)


def test_sentence_spans_keep_abbreviations_and_lines() -> None:
    spans = sentence_spans(PARAGRAPH)
    assert [s.text for s in spans] == [
        "Dr. Smith arrived at 5 p.m. on Tuesday.",
        "The weather was awful!",
        "Was it raining?",
        "Yes: it poured, and the streets, which had been dry for weeks, flooded quickly; "
        "nobody expected it.",
        "A new line starts here.",
        "And a short one.",
    ]
    assert all(PARAGRAPH[s.offset : s.end] == s.text for s in spans)


def test_word_spans_skip_punctuation_only_tokens() -> None:
    text = "Costs $5 — really & truly…"
    assert [(w.text, w.offset) for w in word_spans(text)] == [
        ("Costs", 0),
        ("$5", 6),
        ("really", 11),
        ("&", 18),
        ("truly…", 20),
    ]
    assert all(re.fullmatch(r"\S+", w.text) for w in word_spans(PARAGRAPH))
