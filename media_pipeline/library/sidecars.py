"""Subtitle files written beside the media, in the library database.

Three tables: the folder each source path was found under (its root: the output folder
mirrors the tree below it), every file the pipeline wrote with the SHA-256 of what it wrote
(a file whose bytes differ is the user's and is left alone), and what the last sidecar step
of each media did at each of its targets (for reports, and so a rerun with nothing changed
runs nothing).
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media_pipeline.library.db import Library

SCHEMA = """
CREATE TABLE IF NOT EXISTS sidecar_roots (
    path VARCHAR PRIMARY KEY,
    root VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS sidecar_files (
    path VARCHAR PRIMARY KEY,
    key VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    written TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS sidecar_outcomes (
    key VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    note VARCHAR,
    state_sha VARCHAR,
    fingerprint VARCHAR NOT NULL,
    PRIMARY KEY (key, source, path)
);
"""


@dataclass(frozen=True)
class SidecarOutcome:
    """What the sidecar step did at one path for one source of a media."""

    source: str
    path: str
    outcome: str
    """written, updated, unchanged, replaced, kept (not ours), skipped (the media already
    has a subtitle in the language: ``path`` is that file) or failed."""
    note: str | None
    state_sha: str | None
    """SHA-256 of the file at ``path`` after the step (None: no file): a rerun with the same
    fingerprint and the same files there has nothing to do."""

    @property
    def ours(self) -> bool:
        """A subtitle of the pipeline's is at ``path`` now."""
        return self.outcome in ("written", "updated", "unchanged", "replaced")


def file_sha256(path: Path) -> str | None:
    """SHA-256 of the file at ``path`` (None when there is none or it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class SidecarStore:
    """Roots, written files and last outcomes of the sidecar step."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self.library.query(sql, params, SCHEMA)

    def record_roots(self, roots: dict[str, str]) -> None:
        """Remember the folder each source path (resolved) was found under."""
        def work(con: Any) -> None:
            for path, root in roots.items():
                con.execute("INSERT INTO sidecar_roots (path, root) VALUES (?, ?) ON CONFLICT "
                            "(path) DO UPDATE SET root = excluded.root", [path, root])
        if roots:
            self.library.transaction(work, SCHEMA)

    def roots(self, paths: list[str]) -> dict[str, str]:
        """The recorded root of each of ``paths`` that has one."""
        if not paths:
            return {}
        return {p: r for p, r in self._run(
            "SELECT path, root FROM sidecar_roots WHERE list_contains(?, path)", [paths])}

    def written(self, paths: list[str]) -> dict[str, str]:
        """SHA-256 of what the pipeline last wrote at each of ``paths`` (never: absent)."""
        if not paths:
            return {}
        return {p: s for p, s in self._run(
            "SELECT path, sha256 FROM sidecar_files WHERE list_contains(?, path)", [paths])}

    def record_written(self, key: str, path: str, sha256: str) -> None:
        """The pipeline wrote these bytes at ``path`` (for media ``key``)."""
        self._run("INSERT INTO sidecar_files (path, key, sha256) VALUES (?, ?, ?) ON CONFLICT "
                  "(path) DO UPDATE SET key = excluded.key, sha256 = excluded.sha256, "
                  "written = now()", [path, key, sha256])

    def save_outcomes(self, key: str, fingerprint: str, outcomes: list[SidecarOutcome]) -> None:
        """Replace the last outcomes of ``key`` with those of the step that just ran."""
        def work(con: Any) -> None:
            con.execute("DELETE FROM sidecar_outcomes WHERE key = ?", [key])
            for o in outcomes:
                con.execute(
                    "INSERT INTO sidecar_outcomes (key, source, path, outcome, note, state_sha, "
                    "fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [key, o.source, o.path, o.outcome, o.note, o.state_sha, fingerprint])
        self.library.transaction(work, SCHEMA)

    def outcomes(self, key: str) -> tuple[str | None, list[SidecarOutcome]]:
        """The fingerprint the last step of ``key`` ran with (None: never) and its outcomes."""
        rows = self._run("SELECT source, path, outcome, note, state_sha, fingerprint FROM "
                         "sidecar_outcomes WHERE key = ? ORDER BY source, path", [key])
        fingerprint = rows[0][5] if rows else None
        return fingerprint, [SidecarOutcome(*r[:5]) for r in rows]

    def current(self, key: str, fingerprint: str, sources: list[str]) -> bool:
        """True when the last step of ``key`` ran with ``fingerprint``, covered every one of
        ``sources``, and every file it looked at is still as it left it."""
        if not sources:
            return True
        last, outcomes = self.outcomes(key)
        if last != fingerprint or not set(sources) <= {o.source for o in outcomes}:
            return False
        return all(file_sha256(Path(o.path)) == o.state_sha for o in outcomes if o.path)
