"""Sentence-aware text chunking, plus the sentence and word splitting the timings share.

A chunk is a slice of the original text, so ``text[c.offset:c.offset + len(c.text)] == c.text``.
Boundaries are preferred in order: sentence, clause punctuation, whitespace; a single word
longer than the limit (a URL, say) is the only thing ever cut mid-word.
"""

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TextSpan:
    """A slice of a text: its characters and where they start."""

    text: str
    offset: int

    @property
    def end(self) -> int:
        """Offset one past the last character."""
        return self.offset + len(self.text)


@dataclass(frozen=True)
class Chunk:
    """One provider call's worth of text, in order, with its offset in the full text."""

    index: int
    text: str
    offset: int


_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_CLAUSE_END = re.compile(r"[,;:—–)\]](?=\s)")
_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")
_NEWLINE = re.compile(r"\n")
_SPEAKABLE = re.compile(r"[^\W_]|[&@%+=#$€£]")
# A period after these does not end a sentence; initials and "e.g."-style tokens are caught
# by the single-letter and inner-period rules below.
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "no", "fig", "approx"}
)

_Cutter = Callable[[str, int, int], list[int]]


def _trimmed(text: str, start: int, end: int) -> TextSpan | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return TextSpan(text[start:end], start) if end > start else None


def _split_at(text: str, start: int, end: int, cuts: list[int]) -> list[TextSpan]:
    spans: list[TextSpan] = []
    edges = [start, *sorted(c for c in set(cuts) if start < c < end), end]
    for a, b in itertools.pairwise(edges):
        span = _trimmed(text, a, b)
        if span is not None:
            spans.append(span)
    return spans


def _is_abbreviation(text: str, period_at: int) -> bool:
    token_start = period_at
    while token_start > 0 and not text[token_start - 1].isspace():
        token_start -= 1
    token = text[token_start:period_at].lstrip("\"'“‘([")
    return len(token) == 1 or "." in token or token.lower() in _ABBREVIATIONS


def _sentence_cuts(text: str, start: int, end: int) -> list[int]:
    cuts = [m.start() for m in _NEWLINE.finditer(text, start, end)]
    for m in _SENTENCE_END.finditer(text, start, end):
        lone_period = m.group().rstrip("\"'”’)]") == "."
        if lone_period and _is_abbreviation(text, m.start()):
            continue
        cuts.append(m.end())
    return cuts


def _clause_cuts(text: str, start: int, end: int) -> list[int]:
    return [m.end() for m in _CLAUSE_END.finditer(text, start, end)]


def _word_cuts(text: str, start: int, end: int) -> list[int]:
    return [m.start() for m in _SPACE.finditer(text, start, end)]


_CUTTERS: tuple[_Cutter, ...] = (_sentence_cuts, _clause_cuts, _word_cuts)


def sentence_spans(text: str) -> list[TextSpan]:
    """Split ``text`` into sentences (and lines), whitespace trimmed, offsets kept."""
    return _split_at(text, 0, len(text), _sentence_cuts(text, 0, len(text)))


def word_spans(text: str) -> list[TextSpan]:
    """Whitespace-separated tokens that are spoken (at least one letter, digit or symbol)."""
    return [
        TextSpan(m.group(), m.start()) for m in _WORD.finditer(text) if _SPEAKABLE.search(m.group())
    ]


def _pack(text: str, spans: list[TextSpan], limit: int) -> list[TextSpan]:
    packed: list[TextSpan] = []
    start = end = -1
    for span in spans:
        if start >= 0 and span.end - start <= limit:
            end = span.end
            continue
        if start >= 0:
            packed.append(TextSpan(text[start:end], start))
        start, end = span.offset, span.end
    if start >= 0:
        packed.append(TextSpan(text[start:end], start))
    return packed


def _chunk_span(text: str, span: TextSpan, limit: int, level: int) -> list[TextSpan]:
    if len(span.text) <= limit:
        return [span]
    if level == len(_CUTTERS):
        # One unbroken token longer than the limit: cutting it is the only way through.
        return [
            TextSpan(span.text[i : i + limit], span.offset + i)
            for i in range(0, len(span.text), limit)
        ]
    parts = _split_at(text, span.offset, span.end, _CUTTERS[level](text, span.offset, span.end))
    out: list[TextSpan] = []
    fitting: list[TextSpan] = []
    for part in parts:
        if len(part.text) <= limit:
            fitting.append(part)
            continue
        # A part too long for the limit is split at the next-weaker boundary on its own,
        # so a weak cut never replaces a stronger one that was available nearby.
        out += _pack(text, fitting, limit)
        fitting = []
        out += _chunk_span(text, part, limit, level + 1)
    return out + _pack(text, fitting, limit)


class TextChunker:
    """Splits narration text into provider-sized chunks at the strongest available boundary."""

    def chunk(self, text: str, max_chunk_chars: int) -> list[Chunk]:
        """Chunks of at most ``max_chunk_chars`` characters covering every non-space character."""
        if max_chunk_chars < 1:
            raise ValueError("max_chunk_chars must be at least 1")
        whole = _trimmed(text, 0, len(text))
        if whole is None:
            return []
        spans = _chunk_span(text, whole, max_chunk_chars, 0)
        return [Chunk(index=i, text=s.text, offset=s.offset) for i, s in enumerate(spans)]
