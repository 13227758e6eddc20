"""The user dictionary: exact or whole-word replacements with case rules.

Entries are kept per library (``scope="library"``) or per media key, in the library
database (``library/dictionary.py``); here they are plain values applied to timed words.
"""

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.model import Word
from media_pipeline.text.edit_log import EditLog, split_whitespace
from media_pipeline.text.word_timing import distribute, syllable_weight

MatchMode = Literal["exact", "word"]

#: ``DictionaryEntry.scope`` of entries that apply to every file; any other value is a media key.
LIBRARY_SCOPE = "library"


@dataclass(frozen=True)
class DictionaryEntry:
    """One user replacement, stored per library (``scope="library"``) or per media key."""

    find: str
    replace: str
    #: "exact" replaces any occurrence, "word" only whole words (or whole phrases).
    mode: MatchMode = "word"
    case_sensitive: bool = False
    scope: str = LIBRARY_SCOPE

    def __post_init__(self) -> None:
        if not self.find:
            raise ConfigurationError("a dictionary entry needs a non-empty 'find'")
        if self.mode not in ("exact", "word"):
            raise ConfigurationError(f"unknown dictionary mode {self.mode!r}")
        if not self.scope:
            raise ConfigurationError("a dictionary entry needs a scope")

    def to_dict(self) -> dict[str, object]:
        """Plain dict for storage (the library DB) or JSON."""
        return {
            "find": self.find,
            "replace": self.replace,
            "mode": self.mode,
            "case_sensitive": self.case_sensitive,
            "scope": self.scope,
        }

    def same_rule(self, other: "DictionaryEntry") -> bool:
        """True when both entries look for the same text (case-folded if both ignore case)."""
        if self.case_sensitive or other.case_sensitive:
            return self.find == other.find
        return self.find.casefold() == other.find.casefold()

    def pattern(self) -> re.Pattern[str]:
        """The compiled regex this entry searches for."""
        body = re.escape(self.find)
        if self.mode == "word":
            body = rf"(?<!\w){body}(?!\w)"
        return re.compile(body, 0 if self.case_sensitive else re.IGNORECASE)


def merge_dictionaries(
    library_entries: Iterable[DictionaryEntry], media_entries: Iterable[DictionaryEntry]
) -> list[DictionaryEntry]:
    """Library entries, then media entries; a media entry drops the library one it overrides.

    Media entries come last so that a file-specific rule has the final word.
    """
    media = list(media_entries)
    kept = [e for e in library_entries if not any(m.same_rule(e) for m in media)]
    return kept + media


def apply_entry(editor: EditLog, entry: DictionaryEntry) -> None:
    """Replace every match of ``entry`` in the editor's words, one logged change per match."""
    words = editor.words
    if not words:
        return
    offsets: list[tuple[int, int]] = []
    pos = 0
    for word in words:
        offsets.append((pos, pos + len(word.text)))
        pos += len(word.text) + 1
    joined = " ".join(w.text for w in words)
    ends = [e for _, e in offsets]
    clusters: list[tuple[int, int, list[re.Match[str]]]] = []
    for match in entry.pattern().finditer(joined):
        if match.end() == match.start():
            continue
        # Words overlapping the match: the first ending after its start, up to the last
        # starting before its end (a match on the space between words touches none).
        first = bisect.bisect_right(ends, match.start())
        last = first
        while last < len(offsets) and offsets[last][0] < match.end():
            last += 1
        if last == first:
            continue
        if clusters and first < clusters[-1][1]:
            prev_first, prev_last, ms = clusters[-1]
            clusters[-1] = (prev_first, max(prev_last, last), [*ms, match])
        else:
            clusters.append((first, last, [match]))
    shift = 0
    for first, last, matches in clusters:
        base = offsets[first][0]
        text = joined[base : offsets[last - 1][1]]
        for m in reversed(matches):
            text = text[: m.start() - base] + entry.replace + text[m.end() - base :]
        old = words[first + shift : last + shift]
        new = _retime(old, split_whitespace(text))
        editor.replace("dictionary", first + shift, last - first, new, entry.find)
        shift += len(new) - len(old)


def _retime(old: Sequence[Word], tokens: list[str]) -> list[Word]:
    """New words for replaced text: old times when the count matches, else spread by syllables."""
    if len(tokens) == len(old):
        return [replace(w, text=t) for w, t in zip(old, tokens, strict=True)]
    if not tokens:
        return []
    start, end = old[0].start_ms, max(w.end_ms for w in old)
    prob = min(w.probability for w in old)
    spans = distribute(start, end, [syllable_weight(t) for t in tokens])
    return [Word(t, s, e, prob) for t, (s, e) in zip(tokens, spans, strict=True)]
