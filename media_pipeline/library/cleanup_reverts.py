"""Cleanup changes a user chose to undo, per media key, in the library database.

The cues step cleans the transcript again on every run, so an undo is stored as a wish
("keep the original words of change ``id``") that the step honours each time, and that
enters the cues' fingerprint so `reprocess --stale` redoes the media.
"""

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from media_pipeline.library.db import Library
from media_pipeline.library.lookups import cached, lookup

SCHEMA = """
CREATE TABLE IF NOT EXISTS cleanup_reverts (
    key VARCHAR NOT NULL,
    change_id VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (key, change_id)
);
"""


class CleanupRevertStore:
    """Record, forget and list the cleanup changes to undo for each media key."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self.library.query(sql, params, SCHEMA)

    def add(self, key: str, change_ids: Iterable[str]) -> int:
        """Undo these changes of ``key`` from its next run on; returns how many are new."""
        def work(con: Any) -> int:
            added = 0
            for change_id in dict.fromkeys(change_ids):
                added += len(con.execute(
                    "INSERT INTO cleanup_reverts (key, change_id) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING RETURNING change_id", [key, change_id]).fetchall())
            return added
        return self.library.transaction(work, SCHEMA)

    def remove(self, key: str, change_ids: Iterable[str] | None = None) -> int:
        """Apply these changes (default: every undone one) again; returns how many."""
        if change_ids is None:
            return len(self._run("DELETE FROM cleanup_reverts WHERE key = ? RETURNING change_id",
                                 [key]))
        ids = list(dict.fromkeys(change_ids))
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        return len(self._run(f"DELETE FROM cleanup_reverts WHERE key = ? AND change_id IN "
                             f"({marks}) RETURNING change_id", [key, *ids]))

    def ids(self, key: str) -> set[str]:
        """The change ids undone for ``key``."""
        return {r[0] for r in self._run(
            "SELECT change_id FROM cleanup_reverts WHERE key = ?", [key])}


def _by_key(rows: list[tuple[Any, ...]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, change_id in rows:
        out.setdefault(key, set()).add(change_id)
    return out


_EVERY = lookup("cleanup_reverts", SCHEMA, "SELECT key, change_id FROM cleanup_reverts", _by_key)


def cached_reverts(library: Library) -> dict[str, set[str]]:
    """Undone change ids of every key, cached until the database files change."""
    return cached(library, _EVERY)


def reverts_resolver(library: Library) -> Callable[[str], frozenset[str]]:
    """The undone change ids of a key, for many keys from one query."""
    every = cached_reverts(library)
    return lambda key: frozenset(every.get(key, ()))


def media_reverts_digest(library: Library, key: str | None) -> str:
    """Short hash of the changes undone for ``key`` ('' when none): in its cues' fingerprint."""
    ids = sorted(cached_reverts(library).get(key, ())) if key else []
    return hashlib.sha256(",".join(ids).encode()).hexdigest()[:12] if ids else ""
