"""Songs: the model their lyrics call for, and what the ``cues`` stage does with lyrics and beats.

Lyrics are kept by ``store/lyrics.py``; their digest enters the ``cues`` fingerprint.

With lyrics, :func:`music_cues` replaces the speech cues by one cue per lyric line, timed
by the global alignment in :mod:`media_pipeline.text.lyrics`; then, when beat snapping is
on (``auto``: for songs with lyrics or audio the ``auto`` separation heuristic called
music), cue boundaries move onto nearby beats.
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from media_pipeline.errors import ConfigurationError
from media_pipeline.settings import PipelineSettings
from media_pipeline.store.lyrics import stored_lyrics
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.text.beat_snap import SnapOptions, snap_cues
from media_pipeline.text.linebreak import break_lines
from media_pipeline.text.lyrics import TimedLine, align_lyrics, looks_english
from media_pipeline.text.profiles import SegmentationProfile
from media_pipeline.text.segmentation import retime_cues

MULTILINGUAL_MODEL = "base"


def settings_for_lyrics(settings: PipelineSettings, lyrics: str,
                        model_chosen: bool) -> tuple[PipelineSettings, str | None]:
    """Settings for a song with ``lyrics``: an English-only Whisper cannot hear other
    languages, so unless the user chose the model, non-English lyrics use the bundled
    multilingual model. Returns the settings and a note saying what changed (or None)."""
    auto = settings.model == "auto"  # sung words fool detection: the lyrics' language wins
    if model_chosen or not (auto or settings.model.endswith(".en")) or looks_english(lyrics):
        return settings, None
    multilingual = settings.multilingual_model if auto else MULTILINGUAL_MODEL
    note = (f"the lyrics are not English: using the multilingual {multilingual!r} "
            f"model instead of {settings.model!r} (choose one with --model)")
    return replace(settings, model=multilingual), note


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
    audio_track: int = 0
    """The audio track the speech came from (counted among audio streams): beats follow it."""


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
                       max_duration_ms=profile.max_duration_ms,
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

    grid = beats_of_file(context.media_file, context.audio_track)
    cues, report = snap_cues(cues, grid.beats_ms, snap_options(settings, profile))
    info["tempo_bpm"] = round(grid.tempo_bpm, 2)
    info["beat_snap"] = {"applied": True, **grid.to_dict(), **report.to_dict()}
    return cues, info
