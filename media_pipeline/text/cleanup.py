"""Transcript cleanup: whitespace, quotes, Whisper hallucinations, repeats and a user dictionary.

Every edit is recorded as a :class:`Change` in an undo log (``edit_log.py``), so it can be
shown and reverted. The user dictionary's entries live in ``dictionary.py``.
Works on timed words (:func:`clean_words`) or on a cue's text (:func:`clean_text`).
"""

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.model import Word
from media_pipeline.text.dictionary import (
    LIBRARY_SCOPE,
    DictionaryEntry,
    MatchMode,
    apply_entry,
    merge_dictionaries,
)
from media_pipeline.text.edit_log import (
    Change,
    ChangeKind,
    CleanupResult,
    EditLog,
    RevertConflictError,
    join_texts,
    revert,
    split_whitespace,
)

__all__ = [
    "HALLUCINATION_PATTERNS",
    "LIBRARY_SCOPE",
    "Change",
    "ChangeKind",
    "CleanupOptions",
    "CleanupResult",
    "DictionaryEntry",
    "HallucinationPattern",
    "MatchMode",
    "QuoteStyle",
    "RevertConflictError",
    "TextCleanupResult",
    "clean_text",
    "clean_words",
    "fold_for_matching",
    "merge_dictionaries",
    "rejoin_split_words",
    "revert",
    "revert_text",
]

QuoteStyle = Literal["straight", "typographic", "keep"]


@dataclass(frozen=True)
class HallucinationPattern:
    """A phrase Whisper invents on silence or music; it must match a whole sentence.

    ``regex`` is matched against the sentence folded by :func:`fold_for_matching` (lower
    case, no accents, punctuation turned into single spaces), or the raw text when ``raw``.
    """

    name: str
    regex: str
    raw: bool = False


#: Known Whisper hallucinations. Each one only removes a sentence that consists of it alone,
#: so "thanks for watching the kids" or "thanks" in real speech survives. Deliberately absent:
#: a lone "thank you" or "you", which Whisper also invents but people really say.
HALLUCINATION_PATTERNS: tuple[HallucinationPattern, ...] = (
    HallucinationPattern(
        "thanks_for_watching",
        r"(?:thanks|thank you)(?: (?:so|very) much)? for watching"
        r"(?: and (?:please |don t forget to )?(?:like and )?subscribe)?",
    ),
    HallucinationPattern(
        "subscribe",
        r"(?:please )?(?:don t forget to |remember to )?(?:like (?:and |comment and )?)?"
        r"subscribe(?: to (?:my|our|the) channel)?",
    ),
    HallucinationPattern("see_you_next_video", r"(?:i ll )?see you in the next video"),
    # Credits from the subtitle datasets Whisper was trained on, in several languages.
    HallucinationPattern("amara_credit", r".*\bamara org\b.*"),
    HallucinationPattern(
        "subtitle_credit", r"(?:subtitles|subtitled|captions|captioned|captioning) by .+"
    ),
    HallucinationPattern(
        "zdf_credit",
        r"untertitel(?:ung)?(?: im auftrag)? (?:des|der|von) (?:zdf|ard|wdr|ndr|swr|br)\b.*",
    ),
    HallucinationPattern("radio_canada_credit", r"sous titrage (?:st 501|societe radio canada)"),
    HallucinationPattern("ja_thanks_for_watching", r"ご視聴ありがとうございました"),
    HallucinationPattern("zh_mingjing_credit", r".*(?:明镜与点点栏目|明鏡與點點欄目).*"),
    # whisper.cpp's silence marker and bracketed silence notes.
    HallucinationPattern(
        "blank_audio", r"[\[(]\s*(?:blank_audio|silence|no speech)\s*[\])]", raw=True
    ),
    # Lines made of music notes only ("♪", "♪ ♪"): Whisper's output on instrumentals.
    HallucinationPattern(
        "music_only", r"[\s♪♫♬♩🎵🎶.,!?…\-]*[♪♫♬♩🎵🎶][\s♪♫♬♩🎵🎶.,!?…\-]*", raw=True
    ),
)


@dataclass(frozen=True)
class CleanupOptions:
    """What cleanup does; every step can be switched off."""

    normalize_whitespace: bool = True
    #: "straight" (' and "), "typographic" (English ’ ‘ “ ”, so „…“ becomes “…”) or "keep".
    #: Guillemets (« ») are never touched: they are the typographic quotes of their languages.
    quote_style: QuoteStyle = "straight"
    remove_hallucinations: bool = True
    #: Extra :class:`HallucinationPattern` regexes (folded text) added to the built-in list.
    extra_hallucination_patterns: tuple[str, ...] = ()
    collapse_repeats: bool = True
    #: A sentence repeated this many times in a row or more is kept once.
    repeat_threshold: int = 3
    #: A silence this long between words also ends a sentence (Whisper segments end there).
    sentence_gap_ms: int = 1500

    def __post_init__(self) -> None:
        if self.quote_style not in ("straight", "typographic", "keep"):
            raise ConfigurationError(f"unknown quote style {self.quote_style!r}")
        if self.repeat_threshold < 2:
            raise ConfigurationError("repeat_threshold must be at least 2")
        if self.sentence_gap_ms < 0:
            raise ConfigurationError("sentence_gap_ms must not be negative")
        for regex in self.extra_hallucination_patterns:
            try:
                re.compile(regex)
            except re.error as exc:
                raise ConfigurationError(f"invalid hallucination pattern {regex!r}") from exc


@dataclass(frozen=True)
class TextCleanupResult:
    """Cleaned text and the log of changes that produced it; ``start_ms`` is the cue's."""

    text: str
    changes: tuple[Change, ...]
    start_ms: int = 0


# ---------------------------------------------------------------------------- entry points


def clean_words(
    words: Sequence[Word],
    options: CleanupOptions | None = None,
    dictionary: Sequence[DictionaryEntry] = (),
) -> CleanupResult:
    """Clean a transcript's words; times of untouched words never change."""
    opts = options or CleanupOptions()
    editor = EditLog(list(words))
    if opts.normalize_whitespace:
        _normalize_whitespace(editor)
    if opts.quote_style != "keep":
        _normalize_quotes(editor, opts.quote_style)
    if opts.remove_hallucinations:
        _remove_hallucinations(editor, opts)
    if opts.collapse_repeats:
        _collapse_repeats(editor, opts)
    for entry in dictionary:
        apply_entry(editor, entry)
    return CleanupResult(tuple(editor.words), tuple(editor.log))


def clean_text(
    text: str,
    options: CleanupOptions | None = None,
    dictionary: Sequence[DictionaryEntry] = (),
    start_ms: int = 0,
) -> TextCleanupResult:
    """Clean one cue text (no word times); line breaks become spaces."""
    opts = options or CleanupOptions()
    tokens = split_whitespace(text)
    log: list[Change] = []
    joined = " ".join(tokens)
    if opts.normalize_whitespace and joined != text:
        # A text-level edit, recorded first, with no words: index -1 marks it.
        log.append(Change("whitespace", text, joined, start_ms, index=-1))
    if not opts.normalize_whitespace and joined != text:
        tokens = [text] if text else []
    words = [Word(tok, start_ms, start_ms) for tok in tokens]
    result = clean_words(words, opts, dictionary)
    log.extend(result.changes)
    return TextCleanupResult(" ".join(w.text for w in result.words), tuple(log), start_ms)


def revert_text(
    result: TextCleanupResult, changes: Sequence[Change] | None = None
) -> TextCleanupResult:
    """Undo ``changes`` (default: all) of a :func:`clean_text` result."""
    chosen = list(result.changes if changes is None else changes)
    word_changes = tuple(c for c in result.changes if c.index >= 0)
    start = result.start_ms
    words = tuple(Word(tok, start, start) for tok in split_whitespace(result.text))
    reverted = revert(CleanupResult(words, word_changes), [c for c in chosen if c.index >= 0])
    text = " ".join(w.text for w in reverted.words)
    for change in (c for c in chosen if c.index < 0):
        if text != change.after:
            raise RevertConflictError(change)
        text = change.before
    undone = set(chosen)
    remaining = tuple(c for c in result.changes if c not in undone)
    return TextCleanupResult(text, remaining, result.start_ms)


# ---------------------------------------------------------------------------- whitespace


def _normalize_whitespace(editor: EditLog) -> None:
    # Outer spaces are Whisper's tokenization (" hello"), not content: strip them unlogged so
    # the review list is not flooded with one invisible change per word.
    editor.words[:] = [
        replace(w, text=w.text.strip()) if w.text.strip() and w.text != w.text.strip() else w
        for w in editor.words
    ]
    i = 0
    while i < len(editor.words):
        word = editor.words[i]
        text = " ".join(split_whitespace(word.text))
        if not text:
            editor.replace("whitespace", i, 1, [])
            continue
        editor.replace("whitespace", i, 1, [replace(word, text=text)])
        i += 1


def rejoin_split_words(words: Sequence[Word], text: str) -> list[Word]:
    """Merge words that Whisper's segment ``text`` writes with no space between them.

    faster-whisper attaches a leading apostrophe or quote to the next word, so the text
    "L'accident" comes back as the words "L" and "'accident"; joined with a space they would
    read "L 'accident". Scripts written without spaces (CJK, Thai) are left as they are.
    """
    out: list[Word] = []
    pos = 0
    glue_at: int | None = None
    for w in words:
        at = text.find(w.text, pos) if w.text else -1
        if at < 0 or text[pos:at].strip():
            out.append(w)  # the text does not match the words here: keep them as they are
            glue_at = None
            continue
        prev = out[-1] if out else None
        if (prev is not None and at == glue_at and not _no_space_script(prev.text[-1:])
                and not _no_space_script(w.text[:1])):
            out[-1] = Word(prev.text + w.text, prev.start_ms, max(prev.end_ms, w.end_ms),
                           min(prev.probability, w.probability))
        else:
            out.append(w)
        pos = glue_at = at + len(w.text)
    return out


def _no_space_script(ch: str) -> bool:
    return bool(ch) and unicodedata.east_asian_width(ch) in ("W", "F", "H")


# ---------------------------------------------------------------------------- quotes

_TO_STRAIGHT = str.maketrans(
    {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'}
)
_OPENERS = "([{\u2014\u2013-/"


def _normalize_quotes(editor: EditLog, style: QuoteStyle) -> None:
    double_open = False
    for i, word in enumerate(list(editor.words)):
        text = word.text.translate(_TO_STRAIGHT)
        if style == "typographic":
            text, double_open = _typographic(text, double_open)
        editor.replace("quotes", i, 1, [replace(word, text=text)])


def _typographic(text: str, double_open: bool) -> tuple[str, bool]:
    """Curl straight quotes in one word; ``double_open`` carries an open “ across words."""
    out: list[str] = []
    for k, ch in enumerate(text):
        prev = text[k - 1] if k else " "
        nxt = text[k + 1] if k + 1 < len(text) else " "
        opening = (prev.isspace() or prev in _OPENERS) and not nxt.isspace()
        closing = not prev.isspace() and (nxt.isspace() or not nxt.isalnum())
        if ch == '"':
            # Position decides when it can; a quote standing alone alternates open/close.
            is_open = opening if opening != closing else not double_open
            out.append("“" if is_open else "”")
            double_open = is_open
        elif ch == "'":
            if prev.isalnum() or nxt.isdigit() or not opening:
                out.append("’")  # apostrophe (don't, l'homme, '90s) or closing quote
            else:
                out.append("‘")
        else:
            out.append(ch)
    return "".join(out), double_open


# ---------------------------------------------------------------------------- sentences

_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*$")
_ACCENTS = re.compile("[\u0300-\u036f]")


def fold_for_matching(text: str) -> str:
    """Lower case, accents stripped, every run of non-word characters one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Only the Latin/Greek/Cyrillic accents (U+0300-036F): kana voicing marks are letters' parts.
    plain = unicodedata.normalize("NFC", _ACCENTS.sub("", decomposed))
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def _sentences(words: Sequence[Word], gap_ms: int) -> list[tuple[int, int]]:
    """Half-open index ranges: split after end punctuation and at long pauses."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, (word, nxt) in enumerate(itertools.pairwise(words)):
        if _SENTENCE_END.search(word.text) or nxt.start_ms - word.end_ms >= gap_ms > 0:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(words):
        spans.append((start, len(words)))
    return spans


def _remove_hallucinations(editor: EditLog, opts: CleanupOptions) -> None:
    patterns = [
        (p, re.compile(p.regex, re.IGNORECASE if p.raw else 0)) for p in HALLUCINATION_PATTERNS
    ] + [
        (HallucinationPattern("custom", rx), re.compile(rx))
        for rx in opts.extra_hallucination_patterns
    ]
    removed = 0
    for start, end in _sentences(list(editor.words), opts.sentence_gap_ms):
        raw = join_texts(editor.words[start - removed : end - removed])
        folded = fold_for_matching(raw)
        for pattern, regex in patterns:
            subject = raw.strip() if pattern.raw else folded
            if subject and regex.fullmatch(subject):
                editor.replace("hallucination", start - removed, end - start, [], pattern.name)
                removed += end - start
                break


def _collapse_repeats(editor: EditLog, opts: CleanupOptions) -> None:
    spans = _sentences(list(editor.words), opts.sentence_gap_ms)
    keys = [fold_for_matching(join_texts(editor.words[s:e])) for s, e in spans]
    removed = 0
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and keys[j + 1] and keys[j + 1] == keys[i]:
            j += 1
        if keys[i] and j - i + 1 >= opts.repeat_threshold:
            first, last = spans[i + 1][0], spans[j][1]
            editor.replace("repeat", first - removed, last - first, [], f"{j - i + 1}x")
            removed += last - first
        i = j + 1
