"""Stage 'refining': cleanup, word timing and segmentation into cues, then AI correction."""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.library.cleanup_reverts import reverts_resolver
from media_pipeline.library.dictionary import DictionaryStore
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import correction_api_key
from media_pipeline.stages import refining as stage
from media_pipeline.stages.cues_file import StepResult, read_cues
from media_pipeline.stages.music import MusicContext
from media_pipeline.stages.speakers import read_turns
from media_pipeline.store.lyrics import stored_lyrics


def cue_preview(cues_file: Path, limit: int = 8) -> dg.MetadataValue:
    """The first cues as a markdown table for the Dagster UI."""
    rows = ["| # | start | end | text |", "|---|---|---|---|"]
    for i, c in enumerate(read_cues(cues_file)[:limit], 1):
        text = c.text.replace("|", "\\|")
        rows.append(f"| {i} | {c.start_ms / 1000:.2f} | {c.end_ms / 1000:.2f} | {text} |")
    return dg.MetadataValue.md("\n".join(rows))


def _changes_table(changes: list[dict[str, Any]]) -> dg.MetadataValue:
    # The id is what `media-pipeline cleanup revert` takes.
    rows = ["| id | at | kind | before | after | rule |", "|---|---|---|---|---|---|"]
    for c in changes:
        cells = [str(c[k]).replace("|", "\\|") for k in ("before", "after", "detail")]
        rows.append(f"| {c.get('id', '')} | {int(c['start_ms']) / 1000:.2f} | {c['kind']} | "
                    f"{' | '.join(cells)} |")
    return dg.MetadataValue.md("\n".join(rows) if changes else "no cleanup changes")


def _describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
    return {"first_cues": cue_preview(out / manifest["files"]["cues"]),
            "cleanup_table": _changes_table(manifest["info"].get("cleanup_examples", []))}


def music_context(storage: StorageResource, fps: dict[str, str], key: str) -> MusicContext:
    """Lyrics, source file, duration and the separation step's music verdict for ``key``."""
    probe = storage.artifacts.manifest(key, "source_media", fps["source_media"])
    vocals = storage.artifacts.manifest(key, "vocals", fps["vocals"])
    info = probe["info"] if probe else {}
    media = info.get("media_file")
    music = bool(vocals and (vocals["info"].get("is_music") or vocals["info"].get("applied")))
    track = int((vocals["info"].get("audio_track") if vocals else None) or 0)
    return MusicContext(stored_lyrics(storage.root, key), Path(media) if media else None,
                        int(float(info.get("duration_s") or 0) * 1000), music, track)


@subtitle_asset("cues")
def cues(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
         storage: StorageResource) -> dg.MaterializeResult:
    """Cleaned (dictionary applied), re-timed words segmented by the run's style-guide profile."""
    settings = pipeline.settings()
    stage.profile_for(settings)  # an unknown profile fails before any work
    dictionary = DictionaryStore(storage.library()).resolver()
    undo = reverts_resolver(storage.library())

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        src = storage.artifacts.find(key, "transcript", fps["transcript"], "transcript")
        music = music_context(storage, fps, key)  # lyrics, beats
        turns = read_turns(storage.artifacts.find(key, "speakers", fps["speakers"], "speakers"))
        return stage.cues_step(src, settings, dictionary(key), out, music, undo(key), turns)
    return materialize_partitions(context, "cues", pipeline, storage, compute, _describe)


@subtitle_asset("corrected_cues")
def corrected_cues(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                   storage: StorageResource) -> dg.MaterializeResult:
    """AI-corrected cue text (timings never move); passes through while correction is off."""
    settings = pipeline.settings()
    api_key = correction_api_key() if settings.correction_enabled else None

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        src = storage.artifacts.find(key, "cues", fps["cues"], "cues")
        language = str(storage.artifacts.info(key, "transcript", fps["transcript"])
                       .get("language") or "")
        return stage.corrected_cues_step(src, settings, api_key, language, out)
    return materialize_partitions(context, "corrected_cues", pipeline, storage, compute)
