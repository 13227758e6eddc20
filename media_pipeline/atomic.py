"""Files that appear whole or not at all: write beside the target, then rename into place."""

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def current_umask() -> int:
    """The process's umask, read without changing it (``os.umask`` would, for every thread).

    Linux reports it in ``/proc/self/status``; elsewhere it is swapped out and back.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces ``path`` when the block succeeds.

    A crash or an exception inside the block leaves no file at ``path`` and no temporary.
    ``suffix`` matters to writers that pick the format from the name (ffmpeg, soundfile).
    The file gets the permissions the umask gives any new file (``mkstemp`` alone would
    make it ``-rw-------``, unreadable to a media server running as its own user).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    try:  # before the block: a writer that links another file here must keep its mode
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text (``\\n`` line ends) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_json_atomic(path: Path, data: object) -> None:
    """JSON written under a temporary name and renamed into place."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))
