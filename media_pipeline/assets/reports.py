"""Reports beside the subtitles: confidence, waveform (peaks + PNG), optional preview MP4."""

import base64
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import reports, steps
from media_pipeline.assets.edits import edited_cues
from media_pipeline.assets.export import subtitles
from media_pipeline.assets.partitioned import materialize_partitions, upstream_file
from media_pipeline.assets.preprocessing import COMMON, source_media, speech_audio, speech_regions
from media_pipeline.fingerprints import CODE_VERSIONS
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource

ASSET: dict[str, Any] = COMMON  # typed for mypy: partitions, backfill policy, group


@dg.asset(code_version=CODE_VERSIONS["confidence_report"], deps=[edited_cues], **ASSET)
def confidence_report(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                      storage: StorageResource) -> dg.MaterializeResult:
    """Mean word probability and the low-confidence words and cues a reviewer should check."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        src = upstream_file(storage, settings, fps, key, "edited_cues", "cues")
        return reports.confidence_step(src, settings.min_word_probability, out)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        table = (out / manifest["files"]["markdown"]).read_text(encoding="utf-8")
        return {"report": dg.MetadataValue.md(table),
                "path": dg.MetadataValue.path(str(out / manifest["files"]["report"]))}
    return materialize_partitions(context, "confidence_report", pipeline, storage, compute,
                                  describe, edit_aware=True)


@dg.asset(code_version=CODE_VERSIONS["waveform"],
          deps=[speech_audio, speech_regions, edited_cues], **ASSET)
def waveform(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
             storage: StorageResource) -> dg.MaterializeResult:
    """Peaks in audiowaveform JSON (for web players) and a PNG with speech regions and cues."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        wav = upstream_file(storage, settings, fps, key, "speech_audio", "wav")
        regions = upstream_file(storage, settings, fps, key, "speech_regions", "regions")
        cues = upstream_file(storage, settings, fps, key, "edited_cues", "cues")
        return reports.waveform_step(wav, regions, cues, out)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        png = out / manifest["files"]["png"]
        data = base64.b64encode(png.read_bytes()).decode()
        return {"image": dg.MetadataValue.md(f"![waveform of {key}](data:image/png;base64,{data})"),
                "png": dg.MetadataValue.path(str(png)),
                "peaks": dg.MetadataValue.path(str(out / manifest["files"]["peaks"]))}
    return materialize_partitions(context, "waveform", pipeline, storage, compute, describe,
                                  edit_aware=True)


@dg.asset(code_version=CODE_VERSIONS["preview"], deps=[source_media, subtitles], pool="media",
          kinds={"ffmpeg"}, **ASSET)
def preview(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
            storage: StorageResource) -> dg.MaterializeResult:
    """Optional MP4 of the first seconds with the subtitles burned in (off by default)."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        if not settings.preview:
            return reports.preview_off_step(out)
        probe = steps.read_json(upstream_file(storage, settings, fps, key, "source_media", "probe"))
        ass = upstream_file(storage, settings, fps, key, "subtitles", "ass")
        return reports.preview_step(Path(probe["media_file"]), bool(probe["has_video"]), ass,
                                    settings.preview_seconds, out)

    def describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
        files = manifest["files"]
        return {"path": dg.MetadataValue.path(str(out / files["mp4"]))} if "mp4" in files else {}
    return materialize_partitions(context, "preview", pipeline, storage, compute, describe,
                                  edit_aware=True)
