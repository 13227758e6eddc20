from pathlib import Path

import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.library.db import Library
from media_pipeline.library.dictionary import DictionaryStore
from media_pipeline.subtitles.model import Word
from media_pipeline.text.cleanup import (
    LIBRARY_SCOPE,
    CleanupOptions,
    DictionaryEntry,
    RevertConflictError,
    clean_text,
    clean_words,
    fold_for_matching,
    merge_dictionaries,
    revert,
    revert_text,
)
from media_pipeline.text.edit_log import revert_each

NOTHING = CleanupOptions(
    normalize_whitespace=False,
    quote_style="keep",
    remove_hallucinations=False,
    collapse_repeats=False,
)


def timed(text: str, start_ms: int = 0, step_ms: int = 300) -> list[Word]:
    """One word per token, 250 ms long, every ``step_ms``."""
    return [
        Word(tok, start_ms + i * step_ms, start_ms + i * step_ms + 250, 0.9)
        for i, tok in enumerate(text.split(" "))
    ]


def texts(words: tuple[Word, ...] | list[Word]) -> str:
    return " ".join(w.text for w in words)


# ---------------------------------------------------------------------------- whitespace, quotes


def test_whitespace_inside_words_is_collapsed_and_empty_words_dropped() -> None:
    words = [Word("New\u200b  York", 0, 500), Word("  ", 500, 600), Word(" city", 600, 900)]
    result = clean_words(words)
    assert texts(result.words) == "New York city"
    assert [(c.kind, c.before, c.after) for c in result.changes] == [
        ("whitespace", "New\u200b  York", "New York"),
        ("whitespace", "  ", ""),
    ]
    assert result.words[1] == Word("city", 600, 900)  # outer space stripped, times kept


def test_no_break_spaces_survive() -> None:
    assert clean_text("Bonjour\u00a0!").text == "Bonjour\u00a0!"


def test_straight_quotes() -> None:
    result = clean_words(timed("“Don’t” he said ‚so‘"))
    assert texts(result.words) == "\"Don't\" he said 'so'"
    assert {c.kind for c in result.changes} == {"quotes"}


def test_typographic_quotes() -> None:
    options = CleanupOptions(quote_style="typographic")
    assert clean_text("He said \"don't\" in the '90s.", options).text == (
        "He said “don’t” in the ’90s."
    )
    assert clean_text("'Hello,' she said", options).text == "‘Hello,’ she said"
    # A quote standing alone alternates open and close.
    assert clean_text('" quoted "', options).text == "“ quoted ”"
    # Guillemets are left alone in both styles.
    assert clean_text("« oui »", options).text == "« oui »"
    assert clean_text("« oui »").text == "« oui »"


# ---------------------------------------------------------------------------- hallucinations


@pytest.mark.parametrize(
    "phrase",
    [
        "Thanks for watching!",
        "Thank you so much for watching.",
        "Please subscribe to my channel.",
        "Don't forget to like and subscribe!",
        "Subtitles by the Amara.org community",
        "Untertitel der Amara.org-Community",
        "Sous-titres réalisés para la communauté d'Amara.org",
        "Untertitel im Auftrag des ZDF, 2017",
        "Sous-titrage Société Radio-Canada",
        "ご視聴ありがとうございました",
        "[BLANK_AUDIO]",
        "♪",
        "♪ ♪ ♪",
    ],
)
def test_known_hallucinations_are_removed_when_they_are_the_whole_sentence(phrase: str) -> None:
    words = [*timed("It was fine."), *timed(phrase, start_ms=5000)]
    result = clean_words(words)
    assert texts(result.words) == "It was fine."
    assert [c.kind for c in result.changes if c.kind != "quotes"] == ["hallucination"]


@pytest.mark.parametrize(
    "speech",
    [
        "Thanks for watching the kids last night.",
        "Thanks, that helps.",
        "Thank you.",
        "Please subscribe me to the newsletter.",
        "♪ la la la ♪",
    ],
)
def test_real_speech_with_similar_words_survives(speech: str) -> None:
    result = clean_words(timed(speech))
    assert texts(result.words) == speech
    assert result.changes == ()


def test_a_hallucination_after_a_long_pause_is_its_own_segment() -> None:
    # No punctuation, but a 2 s silence: Whisper starts a new segment there.
    words = [*timed("so that is it"), *timed("thanks for watching", start_ms=3200)]
    assert texts(clean_words(words).words) == "so that is it"
    joined = [*timed("so that is it"), *timed("thanks for watching", start_ms=1200)]
    assert texts(clean_words(joined).words) == "so that is it thanks for watching"


def test_extra_patterns_can_be_added() -> None:
    options = CleanupOptions(extra_hallucination_patterns=(r"www \w+ com",))
    result = clean_words(timed("Hi. Www.example.com"), options)
    assert texts(result.words) == "Hi."
    with pytest.raises(ConfigurationError):
        CleanupOptions(extra_hallucination_patterns=("(",))


def test_fold_for_matching() -> None:
    assert fold_for_matching("  Société, Radio-Canada!! ") == "societe radio canada"


# ---------------------------------------------------------------------------- repeats


def test_a_sentence_repeated_three_times_is_kept_once() -> None:
    words = timed("I see. I see. I see! I see. And then?")
    result = clean_words(words)
    assert texts(result.words) == "I see. And then?"
    (change,) = result.changes
    assert (change.kind, change.before, change.after, change.detail) == (
        "repeat",
        "I see. I see! I see.",
        "",
        "4x",
    )
    assert change.start_ms == words[2].start_ms


def test_two_repeats_and_repeated_words_are_real_speech() -> None:
    for speech in ("No. No. Stop.", "words words words words"):
        assert texts(clean_words(timed(speech)).words) == speech
    options = CleanupOptions(repeat_threshold=2)
    assert texts(clean_words(timed("No. No. Stop."), options).words) == "No. Stop."


# ---------------------------------------------------------------------------- dictionary


def test_word_mode_replaces_whole_words_only() -> None:
    entry = DictionaryEntry("cat", "dog")
    result = clean_words(timed("Cat, cat concatenate cats"), NOTHING, [entry])
    assert texts(result.words) == "dog, dog concatenate cats"
    assert [(c.before, c.after, c.start_ms) for c in result.changes] == [
        ("Cat,", "dog,", 0),
        ("cat", "dog", 300),
    ]


def test_exact_mode_and_case_sensitivity() -> None:
    exact = DictionaryEntry("colour", "color", mode="exact", case_sensitive=True)
    result = clean_words(timed("colours Colour"), NOTHING, [exact])
    assert texts(result.words) == "colors Colour"


def test_phrases_can_merge_and_split_words() -> None:
    words = timed("I use open ai daily")
    merged = clean_words(words, NOTHING, [DictionaryEntry("open ai", "OpenAI")])
    assert texts(merged.words) == "I use OpenAI daily"
    openai = merged.words[2]
    assert (openai.start_ms, openai.end_ms) == (words[2].start_ms, words[3].end_ms)
    split = clean_words(words, NOTHING, [DictionaryEntry("daily", "every day")])
    assert texts(split.words) == "I use open ai every day"
    assert split.words[-2].start_ms == words[-1].start_ms
    assert split.words[-1].end_ms == words[-1].end_ms


def test_entries_apply_in_order() -> None:
    chain = [DictionaryEntry("a", "b"), DictionaryEntry("b", "c")]
    assert texts(clean_words(timed("a"), NOTHING, chain).words) == "c"
    assert texts(clean_words(timed("a"), NOTHING, chain[::-1]).words) == "b"


def test_replacement_text_is_literal() -> None:
    entry = DictionaryEntry("x", r"\1 $0")
    assert texts(clean_words(timed("x"), NOTHING, [entry]).words) == r"\1 $0"


def test_invalid_entries_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        DictionaryEntry("", "x")
    with pytest.raises(ConfigurationError):
        DictionaryEntry("a", "b", mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        DictionaryEntry("a", "b", scope="")


def test_entries_round_trip_through_the_library(tmp_path: Path) -> None:
    store = DictionaryStore(Library(tmp_path / "library.duckdb"))
    entries = [DictionaryEntry("gonna", "going to", "exact", True, "0123456789abcdef"),
               DictionaryEntry("a", "")]
    for entry in entries:
        store.add(entry)
    assert set(store.entries()) == set(entries)
    assert entries[0].to_dict() == {"find": "gonna", "replace": "going to", "mode": "exact",
                                    "case_sensitive": True, "scope": "0123456789abcdef"}


def test_media_entries_override_library_entries_for_the_same_find() -> None:
    library = [
        DictionaryEntry("colour", "color"),
        DictionaryEntry("Dagster", "dagster", case_sensitive=True),
        DictionaryEntry("gonna", "going to"),
    ]
    media = [
        DictionaryEntry("Colour", "colour", scope="abcd"),
        DictionaryEntry("x", "y", scope="abcd"),
    ]
    merged = merge_dictionaries(library, media)
    assert merged == [library[1], library[2], *media]
    assert all(e.scope == LIBRARY_SCOPE for e in merged[:2])
    # Case-sensitive rules only override the identical text.
    sensitive = [DictionaryEntry("dagster", "D", case_sensitive=True, scope="abcd")]
    assert merge_dictionaries(library, sensitive) == [*library, *sensitive]


# ---------------------------------------------------------------------------- revert


def _messy() -> list[Word]:
    return [
        *timed('Hello  "world". I use open ai.'.replace("  ", " \u200b"), start_ms=0),
        *timed("Thanks for watching!", start_ms=3000),
        *timed("Go. Go. Go. Go.", start_ms=6000),
        *timed("Colour me surprised.", start_ms=9000),
    ]


def test_every_change_is_recorded_and_the_whole_log_reverts() -> None:
    words = _messy()
    dictionary = [DictionaryEntry("open ai", "OpenAI"), DictionaryEntry("colour", "color")]
    result = clean_words(words, CleanupOptions(quote_style="typographic"), dictionary)
    assert texts(result.words) == "Hello “world”. I use OpenAI. Go. color me surprised."
    assert [c.kind for c in result.changes] == [
        "whitespace",
        "quotes",
        "hallucination",
        "repeat",
        "dictionary",
        "dictionary",
    ]
    undone = revert(result)
    assert list(undone.words) == words
    assert undone.changes == ()


def test_one_change_can_be_reverted_alone() -> None:
    words = _messy()
    dictionary = [DictionaryEntry("open ai", "OpenAI"), DictionaryEntry("colour", "color")]
    result = clean_words(words, CleanupOptions(), dictionary)
    openai, colour = (c for c in result.changes if c.kind == "dictionary")
    halluc = next(c for c in result.changes if c.kind == "hallucination")
    partial = revert(result, [openai, halluc])
    assert texts(partial.words) == (
        'Hello "world". I use open ai. Thanks for watching! Go. color me surprised.'
    )
    assert colour in partial.changes and openai not in partial.changes
    # The rest can be reverted later, from the returned result.
    assert list(revert(partial).words) == words


def test_reverting_an_edit_that_a_kept_edit_builds_on_is_a_conflict() -> None:
    dictionary = [DictionaryEntry("a", "b"), DictionaryEntry("b", "c")]
    result = clean_words(timed("a"), NOTHING, dictionary)
    first = result.changes[0]
    with pytest.raises(RevertConflictError) as info:
        revert(result, [first])
    assert "revert that one first" in info.value.user_message
    assert texts(revert(result, list(result.changes)).words) == "a"


def test_revert_each_undoes_what_it_can_and_names_the_rest() -> None:
    dictionary = [DictionaryEntry("a", "b"), DictionaryEntry("b", "c"),
                  DictionaryEntry("colour", "color")]
    result = clean_words(timed("a colour"), NOTHING, dictionary)
    a_to_b, _, colour = result.changes
    after, undone, refused = revert_each(result, [a_to_b, colour])
    assert texts(after.words) == "c colour"
    assert undone == [colour] and refused == [a_to_b]


def test_change_ids_are_stable_across_runs_and_differ_between_changes() -> None:
    dictionary = [DictionaryEntry("colour", "color"), DictionaryEntry("open ai", "OpenAI")]
    first = clean_words(_messy(), CleanupOptions(), dictionary)
    again = clean_words(_messy(), CleanupOptions(), dictionary)
    ids = [c.change_id for c in first.changes]
    assert ids == [c.change_id for c in again.changes]
    assert len(set(ids)) == len(ids) and all(len(i) == 8 for i in ids)


def test_changes_have_display_dicts() -> None:
    result = clean_words(timed("colour"), NOTHING, [DictionaryEntry("colour", "color")])
    assert [c.to_dict() for c in result.changes] == [
        {
            "id": result.changes[0].change_id,
            "kind": "dictionary",
            "before": "colour",
            "after": "color",
            "start_ms": 0,
            "detail": "colour",
        }
    ]


# ---------------------------------------------------------------------------- cue texts


def test_clean_text_and_revert_text() -> None:
    text = '  He said  "ok".\nThanks for watching!  '
    result = clean_text(
        text, CleanupOptions(quote_style="typographic"), [DictionaryEntry("ok", "okay")], 4200
    )
    assert result.text == "He said “okay”."
    assert {c.start_ms for c in result.changes} == {4200}
    assert [c.kind for c in result.changes] == [
        "whitespace",
        "quotes",
        "hallucination",
        "dictionary",
    ]
    assert revert_text(result).text == text
    only_dict = revert_text(result, [c for c in result.changes if c.kind == "dictionary"])
    assert only_dict.text == "He said “ok”."


def test_whole_cue_hallucination_becomes_empty_text() -> None:
    assert clean_text("Subtitles by the Amara.org community").text == ""


def test_nothing_to_do_gives_no_changes() -> None:
    result = clean_words(timed("All good here."))
    assert result.changes == () and texts(result.words) == "All good here."
    assert clean_words([]).words == ()


def test_option_validation() -> None:
    with pytest.raises(ConfigurationError):
        CleanupOptions(repeat_threshold=1)
    with pytest.raises(ConfigurationError):
        CleanupOptions(quote_style="fancy")  # type: ignore[arg-type]
