"""The media library: a DuckDB file that users query, written in short transactions.

DuckDB lets one process hold the file for writing. Runs, the API server and the CLI all
write here, so no connection outlives one transaction and a writer that meets the lock
retries with backoff.
"""

import contextlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from media_pipeline.errors import LibraryLockedError

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS media (
    key VARCHAR PRIMARY KEY,
    status VARCHAR NOT NULL,
    error VARCHAR,
    duration_s DOUBLE,
    language VARCHAR,
    model VARCHAR,
    fingerprint VARCHAR,
    outputs VARCHAR,
    cue_count INTEGER,
    word_count INTEGER,
    search_text VARCHAR,
    first_seen TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS media_names (
    key VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (key, path)
);
CREATE TABLE IF NOT EXISTS cues (
    key VARCHAR NOT NULL,
    idx INTEGER NOT NULL,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    text VARCHAR NOT NULL,
    PRIMARY KEY (key, idx)
);
-- Columns added after the first release: a library file made before them gains them here.
ALTER TABLE media ADD COLUMN IF NOT EXISTS language_probability DOUBLE;
ALTER TABLE cues ADD COLUMN IF NOT EXISTS speaker VARCHAR;
"""


ROW_COLUMNS = ("key, status, error, duration_s, language, model, fingerprint, outputs, "
               "cue_count, word_count, language_probability")


@dataclass(frozen=True)
class LibraryRow:
    key: str
    status: str
    error: str | None
    duration_s: float | None
    language: str | None
    model: str | None
    fingerprint: str | None
    outputs: dict[str, str]
    cue_count: int | None
    word_count: int | None
    language_probability: float | None = None
    """How sure the language detection was (1.0 when the language was set)."""


class Library:
    """Access to the library file; every method is one short transaction."""

    def __init__(self, path: Path, lock_timeout_s: float = 30.0) -> None:
        self.path = path
        self.lock_timeout_s = lock_timeout_s
        self._schema_ready = False

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        import duckdb

        if not self.path.exists():
            self._create()
        held = _HELD.__dict__.get(str(self.path))
        con = held.connection() if held is not None else duckdb.connect(str(self.path))
        try:
            if held is None and not self._schema_ready:
                con.execute(SCHEMA)
                self._schema_ready = True
            con.execute("BEGIN TRANSACTION")
            yield con
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):  # the transaction may already be gone
                con.execute("ROLLBACK")
            if held is not None:
                held.close()
            raise
        finally:
            if held is None:
                con.close()

    def stamp(self) -> tuple[int, ...]:
        """Modification time and size of the file and its WAL: changes whenever a write lands.

        Lets callers cache a query per process: a ``stat`` is much cheaper than a query.
        """
        out: tuple[int, ...] = ()
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = p.stat()
                out += (st.st_mtime_ns, st.st_size)
            except OSError:
                out += (0, 0)
        return out

    def _create(self) -> None:
        """Create the file with its schema under a private name, then link it into place.

        A process that opens the file while another is still writing its header gets
        "not a valid DuckDB database file", so nobody may ever see a half-made file.
        """
        import duckdb

        self.path.parent.mkdir(parents=True, exist_ok=True)
        draft = self.path.with_name(f".{self.path.name}.{os.getpid()}.draft")
        with contextlib.suppress(FileNotFoundError):
            draft.unlink()
        con = duckdb.connect(str(draft))
        try:
            con.execute(SCHEMA)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        try:
            os.link(draft, self.path)  # fails if another process won the race: theirs is whole
        except FileExistsError:
            pass
        finally:
            draft.unlink()
            with contextlib.suppress(FileNotFoundError):
                Path(f"{draft}.wal").unlink()

    def _retry(self, work: Callable[[Any], T]) -> T:
        """Run ``work`` in a transaction, retrying while another process holds the file."""
        import duckdb

        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.02
        while True:
            try:
                with self._connect() as con:
                    return work(con)
            except (duckdb.IOException, duckdb.TransactionException) as exc:
                if not _is_lock_error(exc) or time.monotonic() > deadline:
                    if _is_lock_error(exc):
                        raise LibraryLockedError("the library database is busy; try again") from exc
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    def transaction(self, work: Callable[[Any], T], schema: str = "") -> T:
        """``work(con)`` in one short transaction, retried while another process holds the
        file; ``schema`` (a store's ``CREATE … IF NOT EXISTS``) runs first in it."""
        if not schema:
            return self._retry(work)

        def with_schema(con: Any) -> T:
            con.execute(schema)
            return work(con)
        return self._retry(with_schema)

    def query(self, sql: str, params: list[Any], schema: str = "") -> list[tuple[Any, ...]]:
        """The rows of one statement, run as :meth:`transaction`."""
        def work(con: Any) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = con.execute(sql, params).fetchall()
            return rows
        return self.transaction(work, schema)

    def register(self, key: str, name: str, path: str) -> None:
        """Record that ``key`` was seen as ``name`` at ``path`` (a new media row is pending)."""
        def work(con: Any) -> None:
            con.execute(
                "INSERT INTO media (key, status) VALUES (?, 'pending') ON CONFLICT DO NOTHING",
                [key])
            con.execute(
                "INSERT INTO media_names (key, name, path) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [key, name, path])
        self._retry(work)

    def register_many(self, seen: list[tuple[str, str, str]]) -> None:
        """:meth:`register` for many ``(key, name, path)`` in one transaction."""
        def work(con: Any) -> None:
            for key, name, path in seen:
                con.execute("INSERT INTO media (key, status) VALUES (?, 'pending') "
                            "ON CONFLICT DO NOTHING", [key])
                con.execute("INSERT INTO media_names (key, name, path) VALUES (?, ?, ?) "
                            "ON CONFLICT DO NOTHING", [key, name, path])
        if seen:
            self._retry(work)

    def set_status_many(self, keys: list[str], status: str) -> None:
        """Set ``status`` (and clear the error) for every key, in one transaction."""
        def work(con: Any) -> None:
            for key in keys:
                con.execute(
                    "INSERT INTO media (key, status) VALUES (?, ?) ON CONFLICT (key) "
                    "DO UPDATE SET status = excluded.status, error = NULL, updated = now()",
                    [key, status])
        if keys:
            self._retry(work)

    def get_many(self, keys: list[str]) -> dict[str, LibraryRow]:
        """Rows for ``keys`` (missing keys are absent), in one transaction."""
        if not keys:
            return {}
        rows = self._retry(lambda con: con.execute(
            f"SELECT {ROW_COLUMNS} FROM media WHERE list_contains(?, key)", [keys]).fetchall())
        return {r[0]: _row(r) for r in rows}

    def set_status(self, key: str, status: str, error: str | None = None) -> None:
        def work(con: Any) -> None:
            con.execute(
                "INSERT INTO media (key, status, error) VALUES (?, ?, ?) ON CONFLICT (key) "
                "DO UPDATE SET status = excluded.status, error = excluded.error, "
                "updated = now()", [key, status, error])
        self._retry(work)

    def save_entry(self, key: str, *, duration_s: float, language: str, model: str,
                   fingerprint: str, outputs: dict[str, str],
                   cues: list[tuple[int, int, str]], word_count: int,
                   language_probability: float | None = None,
                   speakers: list[str] | None = None) -> None:
        """Mark ``key`` completed with its outputs and replace its cues (and each cue's
        speaker, when known)."""
        search = " ".join(text for _, _, text in cues)
        who: list[str | None] = list(speakers) if speakers else [None] * len(cues)

        def work(con: Any) -> None:
            con.execute(
                "INSERT INTO media (key, status) VALUES (?, 'completed') ON CONFLICT DO NOTHING",
                [key])
            con.execute(
                "UPDATE media SET status = 'completed', error = NULL, duration_s = ?, "
                "language = ?, model = ?, fingerprint = ?, outputs = ?, cue_count = ?, "
                "word_count = ?, search_text = ?, language_probability = ?, updated = now() "
                "WHERE key = ?",
                [duration_s, language, model, fingerprint, json.dumps(outputs), len(cues),
                 word_count, search, language_probability, key])
            con.execute("DELETE FROM cues WHERE key = ?", [key])
            if cues:
                con.executemany(
                    "INSERT INTO cues (key, idx, start_ms, end_ms, text, speaker) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(key, i, s, e, t, who[i] or None) for i, (s, e, t) in enumerate(cues)])
        self._retry(work)

    def pending_ages(self) -> dict[str, float]:
        """Seconds since each pending row last changed, by key."""
        rows = self._retry(lambda con: con.execute(
            "SELECT key, date_diff('millisecond', updated, now()::TIMESTAMP) / 1000.0 "
            "FROM media WHERE status = 'pending'").fetchall())
        return {r[0]: float(r[1]) for r in rows}

    def get(self, key: str) -> LibraryRow | None:
        rows = self._retry(lambda con: con.execute(
            f"SELECT {ROW_COLUMNS} FROM media WHERE key = ?", [key]).fetchall())
        return _row(rows[0]) if rows else None

    def rows(self, status: str | None = None) -> list[LibraryRow]:
        sql = f"SELECT {ROW_COLUMNS} FROM media"
        params: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            params.append(status)
        sql += " ORDER BY first_seen, key"
        return [_row(r) for r in self._retry(lambda con: con.execute(sql, params).fetchall())]

    def names(self, key: str) -> list[tuple[str, str]]:
        """Every (name, path) ``key`` was seen under."""
        return [(n, p) for n, p in self._retry(lambda con: con.execute(
            "SELECT name, path FROM media_names WHERE key = ? ORDER BY first_seen, path",
            [key]).fetchall())]

    def cues(self, key: str) -> list[tuple[int, int, str]]:
        return [(int(s), int(e), str(t)) for s, e, t in self._retry(lambda con: con.execute(
            "SELECT start_ms, end_ms, text FROM cues WHERE key = ? ORDER BY idx",
            [key]).fetchall())]

    def cue_speakers(self, key: str) -> list[str]:
        """The speaker of each cue of ``key`` in order ("" where none is known)."""
        return [str(s or "") for (s,) in self._retry(lambda con: con.execute(
            "SELECT speaker FROM cues WHERE key = ? ORDER BY idx", [key]).fetchall())]

    def search(self, text: str) -> list[str]:
        """Keys whose cue text contains ``text`` (case-insensitive)."""
        return [k for (k,) in self._retry(lambda con: con.execute(
            "SELECT key FROM media WHERE search_text ILIKE ? ORDER BY key",
            [f"%{text}%"]).fetchall())]


HOLD_MAX_S = 2.0
"""How long one held connection may keep the file from other processes at most."""


class _Held:
    """One thread's kept connection to one library file (see :func:`holding`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con: Any = None
        self.since = 0.0

    def connection(self) -> Any:
        """The kept connection: opened (with the schema) on first use and again once it has
        been held :data:`HOLD_MAX_S`, so a waiting process gets in between two transactions."""
        import duckdb

        if self.con is not None and time.monotonic() - self.since > HOLD_MAX_S:
            self.close()
        if self.con is None:
            self.con = duckdb.connect(str(self.path))
            self.since = time.monotonic()
            self.con.execute(SCHEMA)
        return self.con

    def close(self) -> None:
        if self.con is not None:
            with contextlib.suppress(Exception):
                self.con.close()
            self.con = None


_HELD = threading.local()


@contextmanager
def holding(path: Path) -> Iterator[None]:
    """Within the block, this thread's library transactions on ``path`` share one connection.

    Opening the DuckDB file costs ~20 ms; a step over many files makes several transactions
    each. The file is held from other processes while the block runs (they retry), at most
    :data:`HOLD_MAX_S` at a time, so only short steps should hold it.
    """
    name = str(path)
    if name in _HELD.__dict__:
        yield
        return
    held = _Held(path)
    _HELD.__dict__[name] = held
    try:
        yield
    finally:
        del _HELD.__dict__[name]
        held.close()


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflict" in text


def _row(r: tuple[Any, ...]) -> LibraryRow:
    return LibraryRow(
        key=r[0], status=r[1], error=r[2], duration_s=r[3], language=r[4], model=r[5],
        fingerprint=r[6], outputs=json.loads(r[7]) if r[7] else {}, cue_count=r[8],
        word_count=r[9], language_probability=r[10],
    )
