"""Getting files in: hash, store by content, remember every name; and batching keys."""

from collections.abc import Iterable
from pathlib import Path

from media_pipeline.library.db import Library
from media_pipeline.storage import media_key_of_file, store_media_file

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


def register_file(path: Path, media_dir: Path, library: Library) -> str | None:
    """Hash ``path``, store it under its key and record the name; None if unreadable."""
    key = store_file(path, media_dir)
    if key is not None:
        library.register(key, path.name, str(path.resolve()))
    return key


def store_file(path: Path, media_dir: Path) -> str | None:
    """Hash ``path`` and put it in the media store; None if it cannot be read."""
    try:
        key = media_key_of_file(path)
        store_media_file(path, media_dir, key)
    except OSError:
        return None
    return key


def contiguous_ranges(order: list[str], wanted: set[str], batch_size: int) -> list[tuple[str, str]]:
    """Runs of consecutive ``wanted`` keys in partition ``order``, at most ``batch_size`` long.

    A run can only span a contiguous range of a dynamic partition set.
    """
    ranges: list[tuple[str, str]] = []
    current: list[str] = []
    for key in order:
        if key in wanted and len(current) < batch_size:
            current.append(key)
            continue
        if current:
            ranges.append((current[0], current[-1]))
        current = [key] if key in wanted else []
    if current:
        ranges.append((current[0], current[-1]))
    return ranges
