"""Small tables that every step's fingerprints read (the dictionary, cleanup reverts, speaker
names), read together in one transaction and kept per process until the library changes.

A run asks for fingerprints for every asset of every file; each table read alone cost one
DuckDB connection (~20 ms) each time a write (the run's own library rows) changed the file.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from media_pipeline.library.db import Library

T = TypeVar("T")
Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Lookup(Generic[T]):
    """One table's read: its ``CREATE … IF NOT EXISTS``, its query, and what its rows mean."""

    name: str
    schema: str
    sql: str
    parse: Callable[[Rows], T]


_REGISTERED: dict[str, Lookup[Any]] = {}
_CACHE: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}


def lookup(name: str, schema: str, sql: str, parse: Callable[[Rows], T]) -> Lookup[T]:
    """Declare a table read that :func:`cached` answers together with the others."""
    made = Lookup(name, schema, sql, parse)
    _REGISTERED[name] = made
    return made


def cached(library: Library, which: Lookup[T]) -> T:
    """``which``'s value, from one read of every declared table per change of the file."""
    if not library.path.exists():
        return which.parse([])
    stamp = library.stamp()  # before the read: a write meanwhile only costs a read more
    entry = _CACHE.get(str(library.path))
    if entry is None or entry[0] != stamp or which.name not in entry[1]:
        wanted = list(_REGISTERED.values())

        def work(con: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for one in wanted:
                con.execute(one.schema)
                out[one.name] = one.parse(con.execute(one.sql).fetchall())
            return out
        entry = (stamp, library.transaction(work))
        _CACHE[str(library.path)] = entry
    value: T = entry[1][which.name]
    return value
