"""Getting files in: find media under folders, hash them, store them by content."""

import hashlib
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from media_pipeline.atomic import atomic_path
from media_pipeline.library.db import Library

HASH_CHUNK = 1 << 20

# What a folder scan picks up; a file named explicitly is always tried, whatever its name,
# because content is what decides (probing), not the extension.
MEDIA_SUFFIXES = frozenset((
    ".aac", ".ac3", ".aif", ".aiff", ".amr", ".ape", ".au", ".caf", ".dts", ".eac3", ".flac",
    ".m4a", ".m4b", ".mka", ".mp2", ".mp3", ".mpc", ".oga", ".ogg", ".opus", ".ra", ".spx",
    ".tta", ".voc", ".wav", ".weba", ".wma", ".wv", ".3g2", ".3gp", ".asf", ".avi", ".divx",
    ".dv", ".f4v", ".flv", ".m2ts", ".m4v", ".mkv", ".mov", ".mp4", ".mpeg", ".mpg", ".mts",
    ".mxf", ".ogv", ".qt", ".rm", ".rmvb", ".ts", ".vob", ".webm", ".wmv",
))


def list_media_files(paths: Iterable[Path]) -> list[Path]:
    """Files given directly, plus media files (by extension) under given folders, sorted."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(
                f for f in p.rglob("*")
                if f.is_file() and f.suffix.lower() in MEDIA_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def media_key_of_file(path: Path) -> str:
    """The partition key: first 16 hex digits of the SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()[:16]


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


def store_file(path: Path, media_dir: Path) -> str | None:
    """Hash ``path`` and put it in the media store; None if it cannot be read."""
    try:
        key = media_key_of_file(path)
        store_media_file(path, media_dir, key)
    except OSError:
        return None
    return key


def register_file(path: Path, media_dir: Path, library: Library) -> str | None:
    """Hash ``path``, store it under its key and record its name; None if unreadable."""
    key = store_file(path, media_dir)
    if key is not None:
        library.register(key, path.name, str(path.resolve()))
    return key
