"""Reports beside the subtitles: confidence, waveform (peaks + PNG), optional preview MP4."""

import base64
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages import reports
from media_pipeline.stages.cues_file import StepResult


@subtitle_asset("confidence_report")
def confidence_report(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                      storage: StorageResource) -> dg.MaterializeResult:
    """Mean word probability and the low-confidence words and cues a reviewer should check."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        src = storage.artifacts.find(key, "edited_cues", fps["edited_cues"], "cues")
        return reports.confidence_step(src, settings.min_word_probability, out)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        table = (out / manifest["files"]["markdown"]).read_text(encoding="utf-8")
        return {"report": dg.MetadataValue.md(table),
                "path": dg.MetadataValue.path(str(out / manifest["files"]["report"]))}
    return materialize_partitions(context, "confidence_report", pipeline, storage, compute,
                                  describe, edit_aware=True)


@subtitle_asset("waveform")
def waveform(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
             storage: StorageResource) -> dg.MaterializeResult:
    """Peaks in audiowaveform JSON (for web players) and a PNG with speech regions and cues."""
    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        wav = storage.artifacts.find(key, "speech_audio", fps["speech_audio"], "wav")
        regions = storage.artifacts.find(key, "speech_regions", fps["speech_regions"], "regions")
        cues = storage.artifacts.find(key, "edited_cues", fps["edited_cues"], "cues")
        return reports.waveform_step(wav, regions, cues, out)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        png = out / manifest["files"]["png"]
        data = base64.b64encode(png.read_bytes()).decode()
        return {"image": dg.MetadataValue.md(f"![waveform of {key}](data:image/png;base64,{data})"),
                "png": dg.MetadataValue.path(str(png)),
                "peaks": dg.MetadataValue.path(str(out / manifest["files"]["peaks"]))}
    return materialize_partitions(context, "waveform", pipeline, storage, compute, describe,
                                  edit_aware=True)


@subtitle_asset("preview", pool="media", kinds={"ffmpeg"})
def preview(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
            storage: StorageResource) -> dg.MaterializeResult:
    """Optional MP4 of the first seconds with the subtitles burned in (off by default)."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        if not settings.preview:
            return reports.preview_off_step(out)
        probe = storage.artifacts.info(key, "source_media", fps["source_media"])
        ass = storage.artifacts.find(key, "subtitles", fps["subtitles"], "ass")
        return reports.preview_step(Path(probe["media_file"]), bool(probe["has_video"]), ass,
                                    settings.preview_seconds, out)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        files = manifest["files"]
        return {"path": dg.MetadataValue.path(str(out / files["mp4"]))} if "mp4" in files else {}
    return materialize_partitions(context, "preview", pipeline, storage, compute, describe,
                                  edit_aware=True)
