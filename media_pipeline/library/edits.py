"""Segment edits with undo/redo, kept in the library database (restarts lose nothing).

Edits belong to one media file *and* the cues they were made on: ``base`` is a digest of
the ``corrected_cues`` file (:func:`cues_base`). The current edited list and two stacks of
earlier lists (undo, at most :data:`MAX_UNDO`; redo, cleared by a new edit) are stored as
JSON, the seed's "save segments.json before every mutation". Every operation is one
transaction; within a process one lock per (media, base) serializes them, and DuckDB's
conflict detection (retried) covers the rest.
"""

import hashlib
import json
import math
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from media_pipeline.errors import MediaPipelineError
from media_pipeline.library.db import Library
from media_pipeline.subtitles.model import Cue, display_line
from media_pipeline.subtitles.timecode import MAX_TIMESTAMP_MS, cue_span

MAX_UNDO = 50
MAX_TEXT_CHARS = 1000
#: The latest time an edit may give (99:59:59.999, what SRT and WebVTT can write); the API
#: also holds edits within the media's own duration.
MAX_TIME_MS = MAX_TIMESTAMP_MS

EDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS segment_edits (
    media_key VARCHAR NOT NULL,
    base VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    segments VARCHAR NOT NULL,
    updated TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (media_key, base)
);
CREATE TABLE IF NOT EXISTS segment_history (
    media_key VARCHAR NOT NULL,
    base VARCHAR NOT NULL,
    stack VARCHAR NOT NULL,
    pos INTEGER NOT NULL,
    segments VARCHAR NOT NULL,
    PRIMARY KEY (media_key, base, stack, pos)
);
"""

T = TypeVar("T")


class EditError(MediaPipelineError):
    """An edit that cannot be applied (unknown segment, bad times, empty text)."""


class NothingToUndoError(EditError):
    def __init__(self, what: str) -> None:
        super().__init__(f"nothing to {what}")
        self.what = what


@dataclass(frozen=True)
class Segment:
    """One editable cue: ``text`` keeps line breaks as ``\\n``."""

    id: int
    start_ms: int
    end_ms: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EditState:
    segments: list[Segment]
    version: int
    undo_depth: int
    redo_depth: int
    edited: bool


def cues_base(cues_file: Path) -> str:
    """What edits are made on: a digest of the cues file's bytes. Edits stay with the cues
    they were made on, and survive a recomputation that gives the same cues."""
    return hashlib.sha256(cues_file.read_bytes()).hexdigest()[:16]


def segments_from_cues(cues: list[Cue]) -> list[Segment]:
    return [Segment(i + 1, c.start_ms, c.end_ms, "\n".join(c.lines)) for i, c in enumerate(cues)]


def apply_change(segments: list[Segment], segment_id: int, *, text: str | None = None,
                 start_ms: float | None = None, end_ms: float | None = None) -> list[Segment]:
    """A new list with segment ``segment_id`` changed; raises EditError when invalid.

    Times must be whole milliseconds (``5.0`` is 5) with 0 <= start_ms < end_ms <=
    :data:`MAX_TIME_MS`; text must pass :func:`text_problem`.
    """
    index = segment_id - 1
    if not 0 <= index < len(segments):
        raise EditError(f"segment_id must be between 1 and {len(segments)}")
    old = segments[index]
    new_text = old.text if text is None else _clean_text(text)
    start = old.start_ms if start_ms is None else whole_ms(start_ms, "start_ms")
    end = old.end_ms if end_ms is None else whole_ms(end_ms, "end_ms")
    if start < 0 or end <= start:
        raise EditError("a segment needs 0 <= start_ms < end_ms")
    out = list(segments)
    out[index] = Segment(old.id, start, end, new_text)
    return out


def split_segment(segments: list[Segment], segment_id: int, at_char: int,
                  at_ms: int | None = None) -> list[Segment]:
    """A new list with segment ``segment_id`` cut at character ``at_char`` of its text: the
    text before stays, the text after becomes the next segment. Times are cut at ``at_ms``
    when given, else in proportion to the characters. Ids stay positional (1..n)."""
    index = _index(segments, segment_id)
    old = segments[index]
    if isinstance(at_char, bool) or not 0 < at_char < len(old.text):
        raise EditError(f"at_char must be between 1 and {len(old.text) - 1} "
                        "(inside the cue's text)")
    before, after = old.text[:at_char].strip(), old.text[at_char:].strip()
    if not before or not after:
        raise EditError("a split must leave text on both sides")
    if at_ms is None:
        share = at_char / len(old.text)
        at_ms = old.start_ms + round((old.end_ms - old.start_ms) * share)
        at_ms = min(max(at_ms, old.start_ms + 1), old.end_ms - 1)
    at = whole_ms(at_ms, "at_ms")
    if not old.start_ms < at < old.end_ms:
        raise EditError(f"at_ms must lie inside the cue ({old.start_ms} < at_ms < "
                        f"{old.end_ms})")
    first = Segment(old.id, old.start_ms, at, _clean_text(before))
    second = Segment(old.id + 1, at, old.end_ms, _clean_text(after))
    return _renumbered([*segments[:index], first, second, *segments[index + 1:]])


def merge_segments(segments: list[Segment], segment_id: int) -> list[Segment]:
    """A new list with segment ``segment_id`` and the next one made one segment (their
    texts joined on one line, laid out again on export); ids stay positional."""
    index = _index(segments, segment_id)
    if index + 1 >= len(segments):
        raise EditError("the last segment has no next segment to merge with")
    a, b = segments[index], segments[index + 1]
    text = _clean_text(" ".join(a.text.split() + b.text.split()))
    merged = Segment(a.id, min(a.start_ms, b.start_ms), max(a.end_ms, b.end_ms), text)
    return _renumbered([*segments[:index], merged, *segments[index + 2:]])


def _index(segments: list[Segment], segment_id: int) -> int:
    if isinstance(segment_id, bool) or not 1 <= segment_id <= len(segments):
        raise EditError(f"segment_id must be between 1 and {len(segments)}")
    return segment_id - 1


def _renumbered(segments: list[Segment]) -> list[Segment]:
    return [s if s.id == i + 1 else Segment(i + 1, s.start_ms, s.end_ms, s.text)
            for i, s in enumerate(segments)]


def whole_ms(value: float, name: str) -> int:
    """``value`` as whole milliseconds within 0 .. MAX_TIME_MS, else EditError naming
    ``name`` (not the value: it may be huge)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EditError(f"{name} must be a whole number of milliseconds")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise EditError(f"{name} must be a whole number of milliseconds")
    if not 0 <= value <= MAX_TIME_MS:
        raise EditError(f"{name} must be between 0 and {MAX_TIME_MS}")
    return int(value)


# Line separators a client may send for a line break; every other control character
# (NUL, ESC, C1 controls…) would end up raw in the subtitle files.
_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n"})


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be a segment's text (a control character other than a line
    break or tab, a lone surrogate), or None. The reason names the character's code point,
    not the text."""
    for ch in text.replace("\r\n", "\n").translate(_LINE_BREAKS):
        if ch in "\n\t":
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            return (f"text holds the control character U+{ord(ch):04X}; only line breaks "
                    "and tabs are allowed")
        if category == "Cs":
            return "text holds a lone surrogate (not valid Unicode)"
    return None


def _clean_text(text: str) -> str:
    problem = text_problem(text)
    if problem is not None:
        raise EditError(problem)
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    cleaned = "\n".join(line for line in lines if line)
    if not cleaned:
        raise EditError("a segment's text cannot be empty")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise EditError(f"a segment's text is limited to {MAX_TEXT_CHARS} characters")
    return cleaned


def edited_cues(base: list[Cue], segments: list[Segment],
                break_lines: Callable[[str], tuple[str, ...]]) -> list[Cue]:
    """``base`` with the edited segments applied; unchanged cues keep their timed words.

    A changed text without explicit line breaks is laid out by ``break_lines``. Segments
    stored before edits were validated are made safe first (:func:`_safe`).
    """
    out: list[Cue] = []
    # A split or merge shifts the positions of the cues after it: those keep their words
    # when their text and times are still those of a cue of ``base``.
    unmoved = {("\n".join(c.lines), c.start_ms, c.end_ms): c for c in base}
    for i, stored in enumerate(segments):
        seg = _safe(stored)
        cue = base[i] if i < len(base) else None
        if cue is None or "\n".join(cue.lines) != seg.text:
            cue = unmoved.get((seg.text, seg.start_ms, seg.end_ms), cue)
        if cue is not None and "\n".join(cue.lines) == seg.text:
            out.append(cue if (cue.start_ms, cue.end_ms) == (seg.start_ms, seg.end_ms)
                       else Cue(seg.start_ms, seg.end_ms, cue.lines, speaker=cue.speaker))
            continue
        lines = tuple(seg.text.split("\n")) if "\n" in seg.text else break_lines(seg.text)
        # The speaker of the cue it starts in (a split's second half, a merge's first cue).
        within = [c for c in base if c.start_ms <= seg.start_ms] or ([cue] if cue else [])
        out.append(Cue(seg.start_ms, seg.end_ms, lines,
                       speaker=within[-1].speaker if within else ""))
    return out


def _safe(seg: Segment) -> Segment:
    # An old edit may hold times past what any format can write, or control characters; the
    # export must still succeed, or the job fails and the user cannot reach undo.
    start, end = cue_span(seg.start_ms, seg.end_ms)
    text = "\n".join(display_line(line) for line in seg.text.split("\n"))
    if (start, end, text) == (seg.start_ms, seg.end_ms, seg.text):
        return seg
    return Segment(seg.id, start, max(end, start + 1), text)


def _dump(segments: list[Segment]) -> str:
    return json.dumps([s.to_json() for s in segments], ensure_ascii=False)


def _load(text: str) -> list[Segment]:
    return [Segment(int(d["id"]), int(d["start_ms"]), int(d["end_ms"]), str(d["text"]))
            for d in json.loads(text)]


class EditStore:
    """Edits of every (media, base) in the library file."""

    _locks: ClassVar[dict[tuple[str, str], threading.Lock]] = {}
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, library: Library) -> None:
        self.library = library
        self._schema_ready = False

    def _lock(self, key: str, base: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault((key, base), threading.Lock())

    def _run(self, work: Callable[[Any], T]) -> T:
        import duckdb

        for attempt in range(5):
            try:
                result = self.library.transaction(work, "" if self._schema_ready
                                                  else EDIT_SCHEMA)
                self._schema_ready = True
                return result
            except duckdb.ConstraintException:  # a writer in another process got there first
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def state(self, key: str, base: str, original: list[Segment]) -> EditState:
        """The current segments (``original`` when never edited) and the stack depths."""
        def work(con: Any) -> EditState:
            return _state(con, key, base, original)
        return self._run(work)

    def edit(self, key: str, base: str, original: list[Segment], segment_id: int,
             **changes: Any) -> EditState:
        """Apply one change; the previous list goes on the undo stack, redo is cleared."""
        return self.change(key, base, original,
                           lambda segments: apply_change(segments, segment_id, **changes))

    def change(self, key: str, base: str, original: list[Segment],
               change: Callable[[list[Segment]], list[Segment]]) -> EditState:
        """One undoable step: ``change`` (edit, split, merge) maps the current list to the
        new one or raises EditError; an unchanged list makes no step."""
        def work(con: Any) -> EditState:
            current = _state(con, key, base, original)
            new = change(current.segments)
            if new == current.segments:
                return current
            _push(con, key, base, "undo", current.segments, limit=MAX_UNDO)
            con.execute("DELETE FROM segment_history WHERE media_key = ? AND base = ? "
                        "AND stack = 'redo'", [key, base])
            _set_current(con, key, base, new, current.version + 1)
            _searchable(con, key, new)
            return _state(con, key, base, original)
        with self._lock(key, base):
            return self._run(work)

    def undo(self, key: str, base: str, original: list[Segment]) -> EditState:
        return self._step(key, base, original, "undo", "redo")

    def redo(self, key: str, base: str, original: list[Segment]) -> EditState:
        return self._step(key, base, original, "redo", "undo")

    def _step(self, key: str, base: str, original: list[Segment], take: str,
              give: str) -> EditState:
        def work(con: Any) -> EditState:
            current = _state(con, key, base, original)
            top = con.execute(
                "SELECT pos, segments FROM segment_history WHERE media_key = ? AND base = ? "
                "AND stack = ? ORDER BY pos DESC LIMIT 1", [key, base, take]).fetchall()
            if not top:
                raise NothingToUndoError(take)
            pos, segments = top[0]
            con.execute("DELETE FROM segment_history WHERE media_key = ? AND base = ? "
                        "AND stack = ? AND pos = ?", [key, base, take, pos])
            _push(con, key, base, give, current.segments, limit=MAX_UNDO)
            _set_current(con, key, base, _load(segments), current.version + 1)
            _searchable(con, key, _load(segments))
            return _state(con, key, base, original)
        with self._lock(key, base):
            return self._run(work)

    def current(self, key: str, base: str) -> tuple[list[Segment], int] | None:
        """The edited list and its version, or None when ``key`` has no edits on ``base``."""
        def work(con: Any) -> tuple[list[Segment], int] | None:
            rows = con.execute("SELECT segments, version FROM segment_edits "
                               "WHERE media_key = ? AND base = ?", [key, base]).fetchall()
            return (_load(rows[0][0]), int(rows[0][1])) if rows else None
        return self._run(work)


def _state(con: Any, key: str, base: str, original: list[Segment]) -> EditState:
    rows = con.execute("SELECT segments, version FROM segment_edits "
                       "WHERE media_key = ? AND base = ?", [key, base]).fetchall()
    depths = dict(con.execute(
        "SELECT stack, count(*) FROM segment_history WHERE media_key = ? AND base = ? "
        "GROUP BY stack", [key, base]).fetchall())
    segments, version = (_load(rows[0][0]), int(rows[0][1])) if rows else (original, 0)
    return EditState(segments, version, int(depths.get("undo", 0)),
                     int(depths.get("redo", 0)), bool(rows))


def _push(con: Any, key: str, base: str, stack: str, segments: list[Segment],
          limit: int) -> None:
    top = con.execute("SELECT coalesce(max(pos), 0) FROM segment_history WHERE media_key = ? "
                      "AND base = ? AND stack = ?", [key, base, stack]).fetchone()[0]
    con.execute("INSERT INTO segment_history (media_key, base, stack, pos, segments) "
                "VALUES (?, ?, ?, ?, ?)", [key, base, stack, int(top) + 1, _dump(segments)])
    con.execute("DELETE FROM segment_history WHERE media_key = ? AND base = ? AND stack = ? "
                "AND pos <= ?", [key, base, stack, int(top) + 1 - limit])


def _set_current(con: Any, key: str, base: str, segments: list[Segment], version: int) -> None:
    con.execute(
        "INSERT INTO segment_edits (media_key, base, version, segments) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (media_key, base) DO UPDATE SET version = excluded.version, "
        "segments = excluded.segments, updated = now()", [key, base, version, _dump(segments)])


def _searchable(con: Any, key: str, segments: list[Segment]) -> None:
    """The library's cue text of a completed ``key`` as edited, at once: search finds an
    edit before its re-export (which writes the same text, laid out) has run. Each cue keeps
    the speaker of the cue it starts in."""
    if not con.execute("SELECT 1 FROM media WHERE key = ? AND status = 'completed'",
                       [key]).fetchall():
        return
    old = con.execute("SELECT start_ms, speaker FROM cues WHERE key = ? ORDER BY idx",
                      [key]).fetchall()
    rows = []
    for i, seg in enumerate(segments):
        speaker = next((who for start, who in reversed(old) if start <= seg.start_ms),
                       old[0][1] if old else None)
        rows.append((key, i, seg.start_ms, seg.end_ms, " ".join(seg.text.split()), speaker))
    con.execute("DELETE FROM cues WHERE key = ?", [key])
    if rows:
        con.executemany("INSERT INTO cues (key, idx, start_ms, end_ms, text, speaker) "
                        "VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("UPDATE media SET search_text = ?, cue_count = ? WHERE key = ?",
                [" ".join(r[4] for r in rows), len(rows), key])
