"""The log of cleanup edits: each :class:`Change` can be shown, and undone newest first.

:class:`EditLog` is the word list being cleaned together with the changes made to it;
:func:`revert` walks changes back. Cleanup rules (``cleanup.py``) and the user dictionary
(``dictionary.py``) both edit words only through :meth:`EditLog.replace`.
"""

import bisect
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from media_pipeline.errors import MediaPipelineError
from media_pipeline.subtitles.model import Word

ChangeKind = Literal["whitespace", "quotes", "hallucination", "repeat", "dictionary"]


@dataclass(frozen=True)
class Change:
    """One edit: ``before`` became ``after`` at ``start_ms``; enough to show and undo it.

    ``index`` is where ``after_words`` sat in the word list right after this edit, and
    ``detail`` names the rule (pattern name or dictionary ``find``).
    """

    kind: ChangeKind
    before: str
    after: str
    start_ms: int
    index: int = 0
    before_words: tuple[Word, ...] = field(default=(), repr=False)
    after_words: tuple[Word, ...] = field(default=(), repr=False)
    detail: str = ""

    @property
    def change_id(self) -> str:
        """A short id that names this change again when the same transcript is cleaned again."""
        blob = "\x1f".join((self.kind, self.detail, str(self.start_ms), self.before, self.after))
        return hashlib.sha256(blob.encode()).hexdigest()[:8]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary for a review screen (no word tuples)."""
        return {
            "id": self.change_id,
            "kind": self.kind,
            "before": self.before,
            "after": self.after,
            "start_ms": self.start_ms,
            "detail": self.detail,
        }

    def to_record(self) -> dict[str, object]:
        """Everything needed to revert this change later, JSON-ready (see :meth:`from_record`)."""
        return {
            **self.to_dict(),
            "index": self.index,
            "before_words": [_word_row(w) for w in self.before_words],
            "after_words": [_word_row(w) for w in self.after_words],
        }

    @classmethod
    def from_record(cls, row: dict[str, object]) -> "Change":
        """Inverse of :meth:`to_record`."""
        kind = str(row["kind"])
        if kind not in ("whitespace", "quotes", "hallucination", "repeat", "dictionary"):
            raise ValueError(f"unknown change kind {kind!r}")
        return cls(
            kind=kind,  # type: ignore[arg-type]
            before=str(row["before"]),
            after=str(row["after"]),
            start_ms=int(str(row["start_ms"])),
            index=int(str(row.get("index", 0))),
            before_words=tuple(_row_word(r) for r in _rows(row.get("before_words"))),
            after_words=tuple(_row_word(r) for r in _rows(row.get("after_words"))),
            detail=str(row.get("detail", "")),
        )


def _word_row(w: Word) -> list[object]:
    return [w.text, w.start_ms, w.end_ms, w.probability]


def _rows(value: object) -> list[list[object]]:
    return [list(r) for r in value] if isinstance(value, list) else []


def _row_word(r: list[object]) -> Word:
    return Word(str(r[0]), int(str(r[1])), int(str(r[2])), float(str(r[3])))


@dataclass(frozen=True)
class CleanupResult:
    """Cleaned words and the log of changes that produced them from the input."""

    words: tuple[Word, ...]
    changes: tuple[Change, ...]


class RevertConflictError(MediaPipelineError):
    """A change cannot be undone because a later, kept change edited the same words."""

    def __init__(self, change: Change) -> None:
        super().__init__(
            f"cannot revert the {change.kind} change at {change.start_ms} ms: "
            "a later change edited the same words; revert that one first"
        )
        self.change = change


class EditLog:
    """The word list being cleaned plus its undo log."""

    def __init__(self, words: list[Word]) -> None:
        self.words = words
        self.log: list[Change] = []

    def replace(
        self, kind: ChangeKind, index: int, count: int, new: Sequence[Word], detail: str = ""
    ) -> None:
        """Put ``new`` in place of ``count`` words at ``index`` and log it (if anything changed)."""
        before = tuple(self.words[index : index + count])
        after = tuple(new)
        if before == after:
            return
        self.words[index : index + count] = after
        start_ms = before[0].start_ms if before else (after[0].start_ms if after else 0)
        self.log.append(
            Change(kind, join_texts(before), join_texts(after), start_ms, index, before, after,
                   detail)
        )


def join_texts(words: Iterable[Word]) -> str:
    """Word texts joined by single spaces."""
    return " ".join(w.text for w in words)


# Keep no-break spaces: French typography puts them before : ; ! ? and they must not break.
_SPLIT_WS = re.compile(r"[^\S\u00a0\u202f]+")
_INVISIBLE = str.maketrans("", "", "\u200b\ufeff\u2060")


def split_whitespace(text: str) -> list[str]:
    """Tokens of ``text`` split at breaking whitespace, with invisible characters dropped."""
    return [t for t in _SPLIT_WS.split(text.translate(_INVISIBLE)) if t]


def revert(result: CleanupResult, changes: Sequence[Change] | None = None) -> CleanupResult:
    """Undo ``changes`` (default: all) from ``result.changes``, newest first.

    Returns the words with those edits undone and the log of the changes still applied.
    """
    chosen = list(result.changes if changes is None else changes)
    state = list(result.words)
    for change in reversed(_in_log_order(chosen, result.changes)):
        _undo(state, change)
    undone = set(chosen)
    return CleanupResult(tuple(state), tuple(c for c in result.changes if c not in undone))


def revert_each(
    result: CleanupResult, changes: Sequence[Change]
) -> tuple[CleanupResult, list[Change], list[Change]]:
    """Undo as many of ``changes`` as can be undone, newest first.

    Returns the new result, the changes undone, and those refused because a later change
    that stays edited the same words (:class:`RevertConflictError`).
    """
    undone: list[Change] = []
    refused: list[Change] = []
    for change in reversed(_in_log_order(list(changes), result.changes)):
        try:
            result = revert(result, [change])
        except RevertConflictError:
            refused.append(change)
            continue
        undone.append(change)
    return result, undone, refused


def _in_log_order(chosen: list[Change], log: Sequence[Change]) -> list[Change]:
    # Changes read back from storage are equal but not identical objects: compare by value.
    position: dict[Change, int] = {}
    for i, change in enumerate(log):
        position.setdefault(change, i)
    return sorted(chosen, key=lambda c: position.get(c, len(log)))


def _undo(state: list[Word], change: Change) -> None:
    n_after = len(change.after_words)
    if n_after:
        at = _find_run(state, change.after_words, change.index)
        if at is None:
            raise RevertConflictError(change)
    else:
        at = _insertion_point(state, change)
    state[at : at + n_after] = change.before_words


def _find_run(state: list[Word], run: tuple[Word, ...], hint: int) -> int | None:
    n = len(run)
    if state[hint : hint + n] == list(run):
        return hint
    # Earlier reverted edits may have shifted it: take the nearest identical run.
    hits = [i for i in range(len(state) - n + 1) if state[i : i + n] == list(run)]
    return min(hits, key=lambda i: abs(i - hint)) if hits else None


def _insertion_point(state: list[Word], change: Change) -> int:
    first = change.before_words[0] if change.before_words else None
    at = min(max(change.index, 0), len(state))
    if first is None:
        return at
    fits_left = at == 0 or state[at - 1].start_ms <= first.start_ms
    fits_right = at == len(state) or state[at].start_ms >= change.before_words[-1].start_ms
    if fits_left and fits_right:
        return at
    return bisect.bisect_right([w.start_ms for w in state], first.start_ms)
