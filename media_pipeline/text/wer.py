"""Word error rate: the one implementation the pipeline, its checks and benchmarks share.

Text is lower-cased and punctuation dropped, as the acceptance checks do; SRT/VTT numbering
and timing lines are ignored so an exported file can be scored directly. With
``spell_numbers`` whole numbers written in digits ("9", "1,200") are spelled out, because a
voice reads "9" as "nine" and Whisper may write either.
"""

import re
import unicodedata
from collections.abc import Sequence

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d{1,12}$")


def number_words(n: int) -> list[str]:
    """English words of a non-negative integer: 1205 → one thousand two hundred five."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in _SCALES:
        if n >= size:
            rest = n % size
            return number_words(n // size) + [name] + (number_words(rest) if rest else [])
    raise AssertionError("unreachable")  # pragma: no cover


_SRT_INDEX = re.compile(r"^\d+\s*$", re.M)
_CUE_TIMING = re.compile(r"^[\d:.,]+ --> [\d:.,]+.*$", re.M)


def normalized_words(text: str, spell_numbers: bool = True) -> list[str]:
    """Lower-case words without punctuation or cue timing lines; digits spelled out if asked."""
    text = _CUE_TIMING.sub(" ", _SRT_INDEX.sub(" ", text)).replace("WEBVTT", " ")
    text = unicodedata.normalize("NFKC", text).lower()
    words: list[str] = []
    for token in re.sub(r"[^\w\s',]", " ", text).split():
        token = token.strip(",")
        if spell_numbers and _NUMBER.match(token):
            words += number_words(int(token.replace(",", "")))
        else:
            words += token.replace(",", " ").split()
    return words


def word_error_rate(reference: str, hypothesis: str, spell_numbers: bool = True) -> float:
    """Word-level Levenshtein distance over the reference length."""
    ref = normalized_words(reference, spell_numbers)
    return word_edits(ref, normalized_words(hypothesis, spell_numbers)) / max(1, len(ref))


def word_edits(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Fewest substitutions, insertions and deletions that turn ``ref`` into ``hyp``."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]
