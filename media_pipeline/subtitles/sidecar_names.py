"""Subtitle files beside the media, named as Jellyfin, Plex, Emby and Kodi look for them.

``<media stem>.<lang>.<ext>`` beside the media, or in a mirror of the source tree under an
output folder. Also: which existing files already give a media a subtitle in a language
(``skip_existing``), and whether a file at a target path may be written (``overwrite``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from media_pipeline.errors import ConfigurationError
from media_pipeline.languages import LANGUAGES
from media_pipeline.subtitles.export import SUFFIXES

#: Formats ``sidecar_formats`` may name (karaoke ASS is for songs inside the data root).
SIDECAR_FORMATS: tuple[str, ...] = ("srt", "vtt", "ass", "lrc", "elrc", "txt")

#: Extensions a media server reads as a subtitle file (text and image based).
SUBTITLE_EXTENSIONS = frozenset(("srt", "vtt", "ass", "ssa", "sub", "idx", "sup", "smi",
                                 "ttml", "dfxp", "lrc"))

# Flags that mark a subtitle that covers only foreign-language passages (Bazarr, Jellyfin,
# Plex): it does not give the media a full subtitle in that language.
FORCED_FLAGS = frozenset(("forced", "foreign"))

LANGUAGE_NAMES = {code: frozenset((code, *codes, name)) for code, (codes, name) in
                  LANGUAGES.items()}


def language_tags(language: str) -> frozenset[str]:
    """Every tag a file name may carry for ``language`` (``de``: de, ger, deu, german)."""
    code = language.strip().lower()
    for names in LANGUAGE_NAMES.values():
        if code in names:
            return names
    return frozenset((code,))


def parse_formats(text: str) -> tuple[str, ...]:
    """The formats named in ``sidecar_formats`` (comma-separated), in order, each once."""
    chosen = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in SIDECAR_FORMATS]
    if unknown or not chosen:
        raise ConfigurationError(f"sidecar_formats: unknown format {', '.join(unknown) or '(none)'}"
                                 f"; choose from {', '.join(SIDECAR_FORMATS)}")
    return chosen


def sidecar_name(media_name: str, language: str, fmt: str) -> str:
    """``<media stem>.<lang>.<ext>``: ``ep1.mkv``, ``de``, ``srt`` → ``ep1.de.srt``."""
    return f"{PurePath(media_name).stem}.{language}.{SUFFIXES.get(fmt, fmt)}"


def target_folder(source: Path, root: Path | None, output_dir: Path | None) -> Path:
    """Where the sidecars of ``source`` go: beside it, or under ``output_dir`` at the place
    ``source`` has under ``root`` (the folder it was found under; no root: directly)."""
    if output_dir is None:
        return source.parent
    if root is not None and source.is_relative_to(root):
        return output_dir / source.parent.relative_to(root)
    return output_dir


def covering_subtitles(file_names: Iterable[str], media_name: str, language: str,
                       ignore: Iterable[str] = ()) -> list[str]:
    """Names among ``file_names`` that already give the media a full subtitle in
    ``language``, as Bazarr and subgen read them.

    A file counts when it is ``<media stem>.<tags…>.<subtitle ext>`` with a tag naming the
    language (ISO 639-1, 639-2/B or /T, or its English name; ``pt-BR`` counts for ``pt``),
    including hearing-impaired (``.hi``, ``.sdh``, ``.cc``) variants. A forced subtitle
    (``.forced``) does not count (it covers foreign passages only), nor does one with no
    language tag (its language is unknown), nor any name in ``ignore`` (our own files).
    """
    stem = PurePath(media_name).stem.lower()
    wanted = language_tags(language)
    skip = {PurePath(n).name for n in ignore}
    out = []
    for name in sorted(file_names):
        lower = name.lower()
        if name in skip or not lower.startswith(stem + "."):
            continue
        tags = lower[len(stem) + 1:].split(".")
        if len(tags) < 2 or tags[-1] not in SUBTITLE_EXTENSIONS:
            continue
        flags = set(tags[:-1])
        bases = {t.replace("_", "-").split("-")[0] for t in flags}
        if flags & FORCED_FLAGS or not bases & wanted:
            continue
        out.append(name)
    return out


@dataclass(frozen=True)
class WriteDecision:
    """What to do at one target path: ``write`` or not, and the outcome's name."""

    write: bool
    outcome: str
    """written (new), updated (ours, replaced), unchanged (same bytes), replaced (not ours,
    with overwrite) or kept (not ours, left alone)."""


def decide_write(on_disk_sha: str | None, new_sha: str, written_sha: str | None,
                 overwrite: bool) -> WriteDecision:
    """Whether a sidecar may be written where a file with ``on_disk_sha`` is (None: no file).

    ``written_sha`` is what the pipeline last wrote there (None: never). A file that is not
    what we wrote (the user's own, or ours edited by the user) is never replaced unless
    ``overwrite``; identical bytes are never rewritten, so the mtime stays.
    """
    if on_disk_sha is None:
        return WriteDecision(True, "written")
    if on_disk_sha == new_sha:
        return WriteDecision(False, "unchanged")
    if written_sha is not None and on_disk_sha == written_sha:
        return WriteDecision(True, "updated")
    if overwrite:
        return WriteDecision(True, "replaced")
    return WriteDecision(False, "kept")
