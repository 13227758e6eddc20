"""All artifact path building lives here: one directory per (media key, asset, fingerprint).

An artifact is trusted only when its ``manifest.json`` exists; the manifest is written last
and atomically, so a killed run leaves at most an untrusted directory that is redone.
"""

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media_pipeline.atomic import atomic_path, write_text_atomic

MANIFEST = "manifest.json"
HASH_CHUNK = 1 << 20


def media_key_of_file(path: Path) -> str:
    """The partition key: first 16 hex digits of the SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ArtifactStore:
    """Artifacts under ``root``: ``root/<key>/<asset>-<fingerprint>/``."""

    root: Path

    def directory(self, key: str, asset: str, fingerprint: str) -> Path:
        return self.root / key / f"{asset}-{fingerprint}"

    def manifest(self, key: str, asset: str, fingerprint: str) -> dict[str, Any] | None:
        """The manifest of a finished artifact, or None if it is missing or incomplete."""
        path = self.directory(key, asset, fingerprint) / MANIFEST
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        files = data.get("files", {})
        if not all((path.parent / name).exists() for name in files.values()):
            return None
        return data

    def commit(self, key: str, asset: str, fingerprint: str, files: dict[str, str],
               info: dict[str, Any]) -> dict[str, Any]:
        """Seal an artifact whose files are already in its directory."""
        manifest = {"asset": asset, "key": key, "fingerprint": fingerprint,
                    "files": files, "info": info}
        write_json_atomic(self.directory(key, asset, fingerprint) / MANIFEST, manifest)
        return manifest

    def file(self, key: str, asset: str, fingerprint: str, name: str) -> Path:
        return self.directory(key, asset, fingerprint) / name


def write_json_atomic(path: Path, data: Any) -> None:
    """JSON written under a temporary name and renamed into place."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))


def store_media_file(source: Path, media_dir: Path, key: str) -> Path:
    """Put ``source`` in the content-addressed media store (hard link when possible)."""
    suffix = source.suffix.lower()[:10]
    target = media_dir / f"{key}{suffix}"
    if target.exists():
        return target
    with atomic_path(target) as tmp:
        tmp.unlink()  # os.link needs the name free
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
    return target


def stored_media_file(media_dir: Path, key: str) -> Path | None:
    """The stored file for ``key``, whatever its extension."""
    matches = sorted(p for p in media_dir.glob(f"{key}.*") if not p.name.endswith(".tmp"))
    return matches[0] if matches else None
