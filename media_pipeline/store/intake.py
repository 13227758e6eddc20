"""Getting files in: find media under folders, hash them, store them by content."""

import hashlib
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from media_pipeline.atomic import atomic_path
from media_pipeline.audio.probe import MediaProbe
from media_pipeline.errors import FileChangedError, UnreadableFileError
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


def store_file(path: Path, media_dir: Path) -> str:
    """Hash ``path`` and put it in the media store; its key.

    The file must not change while it is read, so what is stored (a link shares the bytes)
    is what was hashed. Raises UnreadableFileError or FileChangedError.
    """
    try:
        before = _stamp(path)
        key = media_key_of_file(path)
        if _stamp(path) != before:
            raise FileChangedError()
        stored = store_media_file(path, media_dir, key)
        if _stamp(path) != before or stored.stat().st_size != before[0]:
            raise FileChangedError()
    except OSError as exc:
        raise UnreadableFileError(f"the file could not be read ({exc.strerror or exc})") from exc
    return key


def _stamp(path: Path) -> tuple[int, int]:
    """Size and modification time: what changes while a file is written."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def settled(path: Path, settle_s: float, now: float | None = None) -> bool:
    """True once ``path`` has not been written to for ``settle_s`` seconds."""
    st = path.stat()
    return (time.time() if now is None else now) - st.st_mtime >= settle_s


def register_file(path: Path, media_dir: Path, library: Library) -> str:
    """Hash ``path``, store it under its key and record its name (see :func:`store_file`)."""
    key = store_file(path, media_dir)
    library.register(key, path.name, str(path.resolve()))
    return key


def media_suffix(probe: MediaProbe) -> str:
    """A file suffix from the probed container (never from the client's file name)."""
    first = probe.format_name.split(",")[0].strip().lower()
    first = {"mov": "mp4", "matroska": "mkv", "mpegts": "ts"}.get(first, first)
    return f".{first}" if first.isalnum() and len(first) <= 8 else ".bin"
