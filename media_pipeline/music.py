"""Songs: where lyrics are kept, and what the ``cues`` stage does with lyrics and beats.

Lyrics for a media key live in the data root as ``lyrics/<key>.<sha256 prefix>.txt``
(written by :func:`store_lyrics` from ``process --lyrics``, a ``<name>.lyrics.txt``
sidecar beside the media, or the API). The digest of that folder's listing enters the
``cues`` fingerprint, as the user dictionary's does, so new or changed lyrics recompute
cues (no model work) and everything after them.

With lyrics, :func:`music_cues` replaces the speech cues by one cue per lyric line, timed
by the global alignment in :mod:`media_pipeline.text.lyrics`; then, when beat snapping is
on (``auto``: for songs with lyrics or audio the ``auto`` separation heuristic called
music), cue boundaries move onto nearby beats.
"""

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_text_atomic
from media_pipeline.errors import ConfigurationError
from media_pipeline.settings import PipelineSettings
from media_pipeline.storage import ArtifactStore
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.text.beat_snap import SnapOptions, snap_cues
from media_pipeline.text.linebreak import break_lines
from media_pipeline.text.lyrics import TimedLine, align_lyrics, looks_english
from media_pipeline.text.profiles import SegmentationProfile
from media_pipeline.text.segmentation import retime_cues

LYRICS_DIR = "lyrics"
SIDECAR_SUFFIX = ".lyrics.txt"
MAX_LYRICS_BYTES = 1 << 20
MULTILINGUAL_MODEL = "base"


def lyrics_dir(data_dir: Path) -> Path:
    return Path(data_dir) / LYRICS_DIR


def read_lyrics_file(path: Path) -> str:
    """A lyrics file's text (UTF-8, BOM allowed); refuses binary or huge files."""
    data = Path(path).read_bytes()
    if len(data) > MAX_LYRICS_BYTES:
        raise ConfigurationError(f"lyrics file {Path(path).name} is over 1 MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigurationError(f"lyrics file {Path(path).name} is not UTF-8 text") from None


def store_lyrics(data_dir: Path, key: str, text: str) -> Path:
    """Keep ``text`` as the lyrics of media ``key`` (replacing older ones); returns the file."""
    if not key or not all(c in "0123456789abcdef" for c in key):
        raise ConfigurationError(f"not a media key: {key!r}")
    folder = lyrics_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    target = folder / f"{key}.{digest}.txt"
    if not target.exists():
        write_text_atomic(target, text)
    for old in folder.glob(f"{key}.*.txt"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def remove_lyrics(data_dir: Path, key: str) -> bool:
    """Forget the lyrics of ``key``; whether there were any."""
    found = list(lyrics_dir(data_dir).glob(f"{key}.*.txt"))
    for path in found:
        path.unlink(missing_ok=True)
    return bool(found)


def stored_lyrics(data_dir: Path, key: str) -> str | None:
    """The lyrics kept for ``key``, or None."""
    found = sorted(lyrics_dir(data_dir).glob(f"{key}.*.txt"))
    return found[-1].read_text(encoding="utf-8") if found else None


def lyrics_digest(data_dir: Path, key: str | None) -> str:
    """The content hash of the lyrics stored for ``key`` (in its file name); '' if none."""
    if key is None:
        return ""
    found = sorted(lyrics_dir(data_dir).glob(f"{key}.*.txt"))
    return found[-1].name.split(".")[1] if found else ""


def lyrics_store_digest(data_dir: Path) -> str:
    """Digest of every stored lyrics file's name (names carry content hashes); '' if none."""
    folder = lyrics_dir(data_dir)
    names = sorted(p.name for p in folder.glob("*.txt")) if folder.is_dir() else []
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:12] if names else ""


def sidecar_lyrics(media: Path) -> Path | None:
    """``<stem>.lyrics.txt`` (or ``<name>.lyrics.txt``) beside ``media``, if present."""
    for candidate in (media.with_name(media.stem + SIDECAR_SUFFIX),
                      media.with_name(media.name + SIDECAR_SUFFIX)):
        if candidate.is_file() and candidate != media:
            return candidate
    return None


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def settings_for_lyrics(settings: PipelineSettings, lyrics: str,
                        model_chosen: bool) -> tuple[PipelineSettings, str | None]:
    """Settings for a song with ``lyrics``: an English-only Whisper cannot hear other
    languages, so unless the user chose the model, non-English lyrics use the bundled
    multilingual model. Returns the settings and a note saying what changed (or None)."""
    if model_chosen or not settings.model.endswith(".en") or looks_english(lyrics):
        return settings, None
    note = (f"the lyrics are not English: using the multilingual {MULTILINGUAL_MODEL!r} "
            f"model instead of {settings.model!r} (choose one with --model)")
    return replace(settings, model=MULTILINGUAL_MODEL), note


def media_settings(data_dir: Path, settings: PipelineSettings, key: str) -> PipelineSettings:
    """The settings media ``key`` runs with when nobody chose a model for it: a song with
    stored non-English lyrics gets the multilingual model (:func:`settings_for_lyrics`).

    The inbox sensor and reprocessing use it, so a song dropped in the inbox is heard by a
    model that knows its language, and reprocessing does not take that model away again.
    """
    lyrics = stored_lyrics(data_dir, key)
    return settings if lyrics is None else settings_for_lyrics(settings, lyrics, False)[0]


@dataclass(frozen=True)
class MusicContext:
    """What the cues stage needs to know about a media file beyond its transcript."""

    lyrics: str | None = None
    media_file: Path | None = None
    duration_ms: int = 0
    is_music: bool = False


def music_context(data_dir: Path, store: ArtifactStore, fps: dict[str, str],
                  key: str) -> MusicContext:
    """Lyrics, source file, duration and the separation step's music verdict for ``key``."""
    probe = store.manifest(key, "source_media", fps["source_media"])
    vocals = store.manifest(key, "vocals", fps["vocals"])
    info = probe["info"] if probe else {}
    media = info.get("media_file")
    music = bool(vocals and (vocals["info"].get("is_music") or vocals["info"].get("applied")))
    return MusicContext(stored_lyrics(data_dir, key), Path(media) if media else None,
                        int(float(info.get("duration_s") or 0) * 1000), music)


def lyric_cues(lines: list[TimedLine] | tuple[TimedLine, ...],
               profile: SegmentationProfile) -> list[Cue]:
    """One cue per lyric line, the user's words as they wrote them, timed for reading."""
    cues = []
    for line in lines:
        shown = break_lines(list(line.text.split()), profile.max_chars_per_line,
                            profile.max_lines) or (line.text,)
        cues.append(Cue(line.start_ms, max(line.end_ms, line.start_ms + 1), shown, line.words))
    return retime_cues(cues, profile)


def snap_options(settings: PipelineSettings, profile: SegmentationProfile) -> SnapOptions:
    return SnapOptions(tolerance_beats=settings.beat_snap_tolerance_beats,
                       max_ms=settings.beat_snap_max_ms, min_duration_ms=profile.min_duration_ms,
                       min_gap_ms=profile.min_gap_ms, max_cps=profile.max_cps)


def music_cues(cues: list[Cue], words: list[Word], settings: PipelineSettings,
               profile: SegmentationProfile,
               context: MusicContext | None) -> tuple[list[Cue], dict[str, Any]]:
    """Lyrics alignment then beat snapping of ``cues``; returns the cues and metadata."""
    info: dict[str, Any] = {}
    if context is None:
        return cues, info
    if settings.beat_snap not in ("off", "on", "auto"):
        raise ConfigurationError(f"unknown beat_snap {settings.beat_snap!r} (off, on, auto)")
    if context.lyrics and context.lyrics.strip():
        end_ms = context.duration_ms or max((w.end_ms for w in words), default=0)
        alignment = align_lyrics(context.lyrics, words, end_ms, "dp")
        if alignment.lines:
            cues = lyric_cues(alignment.lines, profile)
        info["lyrics"] = alignment.to_dict()
    wanted = settings.beat_snap == "on" or (
        settings.beat_snap == "auto" and bool(context.lyrics or context.is_music))
    if not wanted or not cues or context.media_file is None:
        info["beat_snap"] = {"applied": False, "reason": f"beat_snap is {settings.beat_snap}"
                             + ("" if wanted else " and this is not a song")}
        return cues, info
    import importlib.util

    if importlib.util.find_spec("librosa") is None:
        info["beat_snap"] = {"applied": False, "reason": "beat tracking needs librosa: "
                             "pip install 'media_pipeline[music]'"}
        return cues, info
    from media_pipeline.audio.beats import beats_of_file

    grid = beats_of_file(context.media_file)
    cues, report = snap_cues(cues, grid.beats_ms, snap_options(settings, profile))
    info["tempo_bpm"] = round(grid.tempo_bpm, 2)
    info["beat_snap"] = {"applied": True, **grid.to_dict(), **report.to_dict()}
    return cues, info




def process_songs(paths: list[Path], runtime: Any, settings: PipelineSettings,
                  lyrics_file: str | None, model_chosen: bool, on_stage: Any = None,
                  notify: Any = None) -> list[Any]:
    """``runner.process_paths`` with lyrics: ``lyrics_file`` (for the one file given) and
    ``<name>.lyrics.txt`` sidecars are stored for their media keys first, and files whose
    lyrics are not English run with the multilingual model (see :func:`settings_for_lyrics`).
    """
    from media_pipeline.registration import list_media_files
    from media_pipeline.runner import process_paths
    from media_pipeline.storage import media_key_of_file

    files = list_media_files(paths)
    texts: dict[Path, str] = {}
    if lyrics_file:
        if len(files) != 1:
            raise ConfigurationError("--lyrics goes with exactly one media file")
        texts[files[0]] = read_lyrics_file(Path(lyrics_file))
    for f in files:
        side = sidecar_lyrics(f) if f not in texts and f.is_file() else None
        if side is not None:
            texts[f] = read_lyrics_file(side)
    groups: dict[PipelineSettings, list[Path]] = {}
    for f in files:
        chosen = settings
        if f in texts and f.is_file():
            store_lyrics(runtime.data_dir, media_key_of_file(f), texts[f])
            chosen, note = settings_for_lyrics(settings, texts[f], model_chosen)
            if note and notify is not None:
                notify(f"{f.name}: {note}")
        groups.setdefault(chosen, []).append(f)
    if len(groups) <= 1:
        return process_paths(paths, runtime, next(iter(groups), settings), on_stage=on_stage)
    by_source: dict[str, Any] = {}
    for group_settings, group in groups.items():
        for r in process_paths(group, runtime, group_settings, on_stage=on_stage):
            by_source[r.source] = r
    return [by_source[str(f)] for f in files if str(f) in by_source]


def write_karaoke(cues: list[Cue], directory: Path, stem: str) -> Path:
    """``<stem>.karaoke.ass``: each word of each line with its ``\\k`` duration."""

    from media_pipeline.subtitles.formats.ass import to_ass

    path = directory / f"{stem}.karaoke.ass"
    write_text_atomic(path, to_ass(cues, karaoke=True))
    return path
