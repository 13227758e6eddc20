"""Where a song's lyrics are kept: ``<data root>/lyrics/<key>.<sha256 prefix>.txt``.

Written from ``process --lyrics``, a ``<name>.lyrics.txt`` sidecar beside the media, or the
API. The content hash in the name is what enters the ``cues`` fingerprint, so new or changed
lyrics recompute cues (no model work) and everything after them.
"""

import hashlib
from pathlib import Path

from media_pipeline.atomic import write_text_atomic
from media_pipeline.errors import ConfigurationError
from media_pipeline.store.paths import DataRoot

SIDECAR_SUFFIX = ".lyrics.txt"
MAX_LYRICS_BYTES = 1 << 20


def read_lyrics_file(path: Path) -> str:
    """A lyrics file's text (UTF-8, BOM allowed); refuses binary or huge files."""
    data = Path(path).read_bytes()
    if len(data) > MAX_LYRICS_BYTES:
        raise ConfigurationError(f"lyrics file {Path(path).name} is over 1 MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigurationError(f"lyrics file {Path(path).name} is not UTF-8 text") from None


def _stored(data_dir: Path, key: str) -> list[Path]:
    return sorted(DataRoot(Path(data_dir)).lyrics_dir.glob(f"{key}.*.txt"))


def store_lyrics(data_dir: Path, key: str, text: str) -> Path:
    """Keep ``text`` as the lyrics of media ``key`` (replacing older ones); returns the file."""
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ConfigurationError(f"not a media key: {key!r}")
    folder = DataRoot(Path(data_dir)).lyrics_dir
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    target = folder / f"{key}.{digest}.txt"
    if not target.exists():
        write_text_atomic(target, text)
    for old in _stored(data_dir, key):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def stored_lyrics(data_dir: Path, key: str) -> str | None:
    """The lyrics kept for ``key``, or None."""
    found = _stored(data_dir, key)
    return found[-1].read_text(encoding="utf-8") if found else None


def lyrics_digest(data_dir: Path, key: str | None) -> str:
    """The content hash of the lyrics stored for ``key`` (in its file name); '' if none."""
    found = _stored(data_dir, key) if key is not None else []
    return found[-1].name.split(".")[1] if found else ""


def sidecar_lyrics(media: Path) -> Path | None:
    """``<stem>.lyrics.txt`` (or ``<name>.lyrics.txt``) beside ``media``, if present."""
    for candidate in (media.with_name(media.stem + SIDECAR_SUFFIX),
                      media.with_name(media.name + SIDECAR_SUFFIX)):
        if candidate.is_file() and candidate != media:
            return candidate
    return None
