import itertools

from media_pipeline.tts.word_align import SpokenWord, align_words, normalize_phonemes


def spoken(*phonemes: str) -> list[SpokenWord]:
    return [SpokenWord(p, i * 1000, i * 1000 + 800) for i, p in enumerate(phonemes)]


def test_one_to_one() -> None:
    assert align_words(["həlˈoʊ", "wˈɜːld"], spoken("həlˈoʊ", "wˈɜːld")) == [
        (0, 800),
        (1000, 1800),
    ]


def test_merged_function_words_share_one_spoken_word() -> None:
    # espeak speaks "of the three" as "ʌvðə θɹˈiː".
    spans = align_words(["ʌv", "ðə", "θɹˈiː"], spoken("ʌvðə", "θɹˈiːʲ"))
    assert spans == [(0, 400), (400, 800), (1000, 1800)]


def test_one_written_word_spoken_as_several() -> None:
    spans = align_words(
        ["ɪn", "nˈaɪntiːnhˈʌndɹɪd nˈaɪnti", "ɪt"],
        spoken("ɪn", "nˈaɪntiːnhˈʌndɹɪd", "nˈaɪnti", "ɪt"),
    )
    assert spans == [(0, 800), (1000, 2800), (3000, 3800)]


def test_context_dependent_reading_and_silent_words() -> None:
    # "e.g." alone is "iː dʒiː" but in a sentence espeak says "for example".
    spans = align_words(["jˈɛs", "ˌiːdʒˈiː", "ðə", "?"], spoken("jˈɛs", "fˌɔːɹɛɡzˈæmpəl", "ðə"))
    assert spans[:3] == [(0, 800), (1000, 1800), (2000, 2800)]
    assert spans[3] == (2800, 2800)


def test_spans_are_monotonic_on_a_long_mismatched_sequence() -> None:
    written = ["wɜːd"] * 60
    heard = spoken(*(["wɜːd"] * 30 + ["wɜːdwɜːd"] * 15))
    spans = align_words(written, heard)
    assert len(spans) == 60
    assert all(a[0] <= a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_normalize_phonemes() -> None:
    assert normalize_phonemes("ðə bˈɛst, wˌʌn!") == "ðəbɛstwʌn"
    assert align_words(["a"], []) == [(0, 0)]
