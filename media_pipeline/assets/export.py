"""Stages 'exporting' and 'completed': subtitle files, then the library row."""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.library.db import holding
from media_pipeline.library.speaker_names import speaker_names
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.export import LibraryFacts, library_step, subtitles_step
from media_pipeline.store.lyrics import stored_lyrics


@subtitle_asset("subtitles")
def subtitles(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
              storage: StorageResource) -> dg.MaterializeResult:
    """SRT, VTT, ASS, LRC and TXT files named after the media file."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        src = storage.artifacts.find(key, "edited_cues", fps["edited_cues"], "cues")
        names = storage.library().names(key)
        karaoke = stored_lyrics(storage.root, key) is not None  # songs: karaoke ASS too
        return subtitles_step(src, names[0][0] if names else key, out, karaoke,
                              speaker_names(storage.library(), key), settings.speaker_prefix)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        return {f"path_{fmt}": dg.MetadataValue.path(str(out / name))
                for fmt, name in manifest["files"].items()}
    return materialize_partitions(context, "subtitles", pipeline, storage, compute, describe,
                                  edit_aware=True)  # an edit since the last export: redo


def library_facts(storage: StorageResource, model: str, key: str,
                  fps: dict[str, str]) -> LibraryFacts:
    """What the library row of ``key`` says, from its sealed artifacts."""
    store = storage.artifacts
    probe, heard = store.info(key, "source_media", fps["source_media"]), \
        store.info(key, "transcript", fps["transcript"])
    files = store.require(key, "subtitles", fps["subtitles"])["files"]
    spoken = str(heard.get("spoken_language") or heard["language"])  # detected, else Whisper's
    return LibraryFacts(
        duration_s=float(probe["duration_s"]), language=spoken,
        language_probability=float(heard.get("spoken_language_probability")
                                   or heard["language_probability"]),
        word_count=int(heard["word_count"]), model=str(heard.get("model") or model),
        fingerprint=fps["library_entry"],
        outputs={fmt: str(store.find(key, "subtitles", fps["subtitles"], fmt)) for fmt in files},
        cues_file=store.find(key, "edited_cues", fps["edited_cues"], "cues"),
        speaker_names=speaker_names(storage.library(), key))


@subtitle_asset("library_entry", kinds={"duckdb"})
def library_entry(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                  storage: StorageResource) -> dg.MaterializeResult:
    """The media's row in the DuckDB library: names, duration, language, model, cue text."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        facts = library_facts(storage, settings.model, key, fps)
        return library_step(storage.library(), key, facts, out)
    with holding(storage.data.library_path):  # a lookup and a write per file, one connection
        return materialize_partitions(context, "library_entry", pipeline, storage, compute,
                                      always=True)
