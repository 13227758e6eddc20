"""Names users give a media's speakers ("Speaker 1" → "Alice"), in the library database.

The diarization's labels stay in the cues; a name is applied when the files are written
(subtitles, waveform, library row), and the names enter only those assets' fingerprints,
so a rename re-exports without running recognition or diarization again.
"""

import hashlib
import json
from typing import Any

from media_pipeline.errors import ConfigurationError
from media_pipeline.library.db import Library
from media_pipeline.library.lookups import cached, lookup

SCHEMA = """
CREATE TABLE IF NOT EXISTS speaker_names (
    key VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    updated TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (key, label)
);
"""
MAX_NAME_CHARS = 80


def clean_name(name: str) -> str:
    """A speaker name as stored: one line, single spaces, at most MAX_NAME_CHARS."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())
    if not text:
        raise ConfigurationError("a speaker's name cannot be empty")
    if len(text) > MAX_NAME_CHARS:
        raise ConfigurationError(f"a speaker's name is limited to {MAX_NAME_CHARS} characters")
    return text


class SpeakerNameStore:
    """Set, forget and read the speaker names of each media key."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def set(self, key: str, names: dict[str, str]) -> dict[str, str]:
        """Name the labels of ``key`` (``{"Speaker 1": "Alice"}``); a name equal to its
        label forgets it. Returns the media's names after the change."""
        cleaned = {clean_name(label): clean_name(name) for label, name in names.items()}

        def work(con: Any) -> None:
            for label, name in cleaned.items():
                con.execute("DELETE FROM speaker_names WHERE key = ? AND label = ?", [key, label])
                if name != label:
                    con.execute("INSERT INTO speaker_names (key, label, name) VALUES (?, ?, ?)",
                                [key, label, name])
        self.library.transaction(work, SCHEMA)
        return self.names(key)

    def clear(self, key: str) -> int:
        """Forget every name of ``key``; returns how many there were."""
        return len(self.library.query(
            "DELETE FROM speaker_names WHERE key = ? RETURNING label", [key], SCHEMA))

    def names(self, key: str) -> dict[str, str]:
        """Label → name of ``key``."""
        return {str(a): str(b) for a, b in self.library.query(
            "SELECT label, name FROM speaker_names WHERE key = ? ORDER BY label", [key],
            SCHEMA)}


def _by_key(rows: list[tuple[Any, ...]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, label, name in rows:
        out.setdefault(str(key), {})[str(label)] = str(name)
    return out


_EVERY = lookup("speaker_names", SCHEMA, "SELECT key, label, name FROM speaker_names", _by_key)


def speaker_names(library: Library, key: str | None) -> dict[str, str]:
    """The names of ``key`` ({} without a key or a library file); read with the other
    lookups once per change of the library file (library/lookups.py), since every asset of
    every key asks for its fingerprints."""
    if not key:
        return {}
    return dict(cached(library, _EVERY).get(key, {}))


def speaker_names_digest(names: dict[str, str]) -> str:
    """Short hash of a media's names ('' when none): in its exports' fingerprints."""
    if not names:
        return ""
    blob = json.dumps(names, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:12]
