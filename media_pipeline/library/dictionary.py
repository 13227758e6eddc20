"""User dictionary entries in the library database: per library and per media key.

One table, ``dictionary``; ``scope`` is ``library`` for entries that apply to every file, or
a media key. Every call is one short transaction through :class:`Library`'s lock retry.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from media_pipeline.errors import ConfigurationError
from media_pipeline.library.db import Library
from media_pipeline.library.lookups import cached, lookup
from media_pipeline.text.dictionary import LIBRARY_SCOPE, DictionaryEntry, merge_dictionaries

SCHEMA = """
CREATE TABLE IF NOT EXISTS dictionary (
    scope VARCHAR NOT NULL,
    find VARCHAR NOT NULL,
    replace VARCHAR NOT NULL,
    mode VARCHAR NOT NULL,
    case_sensitive BOOLEAN NOT NULL,
    created TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (scope, find, case_sensitive)
);
"""

_COLUMNS = "scope, find, replace, mode, case_sensitive"


class DictionaryStore:
    """Add, remove and list dictionary entries; digest them for artifact fingerprints."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self.library.query(sql, params, SCHEMA)

    def add(self, entry: DictionaryEntry) -> None:
        """Store ``entry``; an entry with the same scope and ``find`` is replaced."""
        self._run(
            f"INSERT OR REPLACE INTO dictionary ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            [entry.scope, entry.find, entry.replace, entry.mode, entry.case_sensitive])

    def remove(self, find: str, scope: str = LIBRARY_SCOPE) -> int:
        """Delete the entries of ``scope`` that look for ``find``; returns how many."""
        if not find:
            raise ConfigurationError("say which entry to remove")
        rows = self._run("DELETE FROM dictionary WHERE scope = ? AND find = ? RETURNING find",
                         [scope, find])
        return len(rows)

    def entries(self, scope: str | None = None) -> list[DictionaryEntry]:
        """Entries of one scope, or of every scope when ``scope`` is None, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM dictionary"
        params: list[Any] = []
        if scope is not None:
            sql += " WHERE scope = ?"
            params.append(scope)
        sql += " ORDER BY created, scope, find"
        return _entries(self._run(sql, params))

    def for_media(self, key: str) -> list[DictionaryEntry]:
        """The entries that apply to media ``key``: the library's, overridden by its own."""
        return merge_dictionaries(self.entries(LIBRARY_SCOPE), self.entries(key))

    def resolver(self) -> Callable[[str], list[DictionaryEntry]]:
        """:meth:`for_media` for many keys from one query (none when the library has none)."""
        every = cached_entries(self.library)
        shared = [e for e in every if e.scope == LIBRARY_SCOPE]
        return lambda key: merge_dictionaries(shared, [e for e in every if e.scope == key])


def dictionary_digest(entries: list[DictionaryEntry]) -> str:
    """A short hash of ``entries`` (order-independent): part of the cues' fingerprint."""
    rows = sorted(json.dumps(e.to_dict(), sort_keys=True) for e in entries)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12] if rows else ""


def _entries(rows: list[tuple[Any, ...]]) -> list[DictionaryEntry]:
    return [DictionaryEntry(find=f, replace=r, mode="exact" if m == "exact" else "word",
                            case_sensitive=bool(c), scope=s) for s, f, r, m, c in rows]


_EVERY = lookup("dictionary", SCHEMA,
                f"SELECT {_COLUMNS} FROM dictionary ORDER BY created, scope, find", _entries)


def cached_entries(library: Library) -> list[DictionaryEntry]:
    """Every entry, cached until the database files change (library/lookups.py):
    fingerprints are computed for every partition of every step."""
    return cached(library, _EVERY)


def media_dictionary_digest(library: Library, key: str | None) -> str:
    """Digest of the entries that apply to media ``key``: the library's and its own.

    ``key=None`` gives the library-wide entries only.
    """
    return dictionary_digest([e for e in cached_entries(library)
                              if e.scope in (LIBRARY_SCOPE, key)])
