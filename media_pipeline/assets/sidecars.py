"""Subtitle files beside the media, where Jellyfin, Plex, Emby and Kodi look for them."""

from pathlib import Path

import dagster as dg

from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.sidecars import sidecars_step


@subtitle_asset("sidecars")
def sidecars(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
             storage: StorageResource) -> dg.MaterializeResult:
    """``<media stem>.<lang>.srt`` (and the other chosen formats) beside each source file, or
    mirrored under ``output_dir``, when ``write_beside`` is on; nothing otherwise."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        return sidecars_step(storage.data, settings, key, fps, out)
    # always: the files live outside the artifact, and the user may have moved or edited them
    return materialize_partitions(context, "sidecars", pipeline, storage, compute, always=True)
