"""Stages 'exporting' and 'completed': subtitle files, then the library row."""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import steps
from media_pipeline.assets.edits import edited_cues
from media_pipeline.assets.partitioned import materialize_partitions, upstream_file
from media_pipeline.assets.preprocessing import COMMON
from media_pipeline.fingerprints import CODE_VERSIONS
from media_pipeline.music import stored_lyrics
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource


@dg.asset(code_version=CODE_VERSIONS["subtitles"], deps=[edited_cues], **COMMON)
def subtitles(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
              storage: StorageResource) -> dg.MaterializeResult:
    """SRT, VTT, ASS, LRC and TXT files named after the media file."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        src = upstream_file(storage, settings, fps, key, "edited_cues", "cues")
        names = storage.library().names(key)
        karaoke = stored_lyrics(storage.root, key) is not None  # songs: karaoke ASS too
        return steps.subtitles_step(src, names[0][0] if names else key, out, karaoke)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        return {f"path_{fmt}": dg.MetadataValue.path(str(out / name))
                for fmt, name in manifest["files"].items()}
    return materialize_partitions(context, "subtitles", pipeline, storage, compute, describe,
                                  edit_aware=True)  # an edit since the last export: redo


@dg.asset(code_version=CODE_VERSIONS["library_entry"], deps=[subtitles], kinds={"duckdb"},
          **COMMON)
def library_entry(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                  storage: StorageResource) -> dg.MaterializeResult:
    """The media's row in the DuckDB library: names, duration, language, model, cues."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        return steps.library_step(storage.library(), storage.artifacts, key, settings, fps, out)
    return materialize_partitions(context, "library_entry", pipeline, storage, compute,
                                  always=True)
