"""Sealed artifacts: one directory per (media key, asset, fingerprint).

An artifact is trusted only when its ``manifest.json`` exists; the manifest is written last
and atomically, so a killed run leaves at most an untrusted directory that is redone. A
manifest may name a file of an upstream artifact (``../<asset>-<fp>/name``) instead of
copying it: a pass-through stage seals a reference, not a third copy of the same cues.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_json_atomic
from media_pipeline.errors import MediaPipelineError

MANIFEST = "manifest.json"


class MissingArtifactError(MediaPipelineError):
    """An upstream artifact a stage needs is not sealed (materialize it first)."""


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

    def require(self, key: str, asset: str, fingerprint: str) -> dict[str, Any]:
        """The manifest of a sealed artifact; raises MissingArtifactError when there is none."""
        manifest = self.manifest(key, asset, fingerprint)
        if manifest is None:
            raise MissingArtifactError(f"{key}: upstream {asset} is missing; materialize it first")
        return manifest

    def find(self, key: str, asset: str, fingerprint: str, name: str) -> Path:
        """The file a sealed artifact names ``name`` (raises MissingArtifactError)."""
        manifest = self.require(key, asset, fingerprint)
        return (self.directory(key, asset, fingerprint) / str(manifest["files"][name])).resolve()

    def info(self, key: str, asset: str, fingerprint: str) -> dict[str, Any]:
        """The ``info`` summary a sealed artifact was committed with."""
        info: dict[str, Any] = self.require(key, asset, fingerprint)["info"]
        return info

    def commit(self, key: str, asset: str, fingerprint: str, files: dict[str, str],
               info: dict[str, Any]) -> dict[str, Any]:
        """Seal an artifact whose files are already in its directory."""
        manifest = {"asset": asset, "key": key, "fingerprint": fingerprint,
                    "files": files, "info": info}
        write_json_atomic(self.directory(key, asset, fingerprint) / MANIFEST, manifest)
        return manifest

    def unseal(self, key: str, asset: str, fingerprint: str) -> None:
        """Forget that an artifact is finished (it is redone on the next run)."""
        (self.directory(key, asset, fingerprint) / MANIFEST).unlink(missing_ok=True)
