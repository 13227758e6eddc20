"""Stage 'preprocessing': register and probe, (vocals), decode + loudness, speech regions."""

import warnings
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import steps
from media_pipeline.assets.partitioned import materialize_partitions, upstream_file
from media_pipeline.errors import NotMediaError
from media_pipeline.fingerprints import CODE_VERSIONS
from media_pipeline.partitions import media_partitions
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource
from media_pipeline.storage import stored_media_file

# Single-run backfills are how one run carries many partitions (one model load); Dagster
# marks the parameter beta, which is known and accepted here.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")

COMMON: dict[str, Any] = {
    "partitions_def": media_partitions,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "group_name": "subtitles",
}


@dg.asset(code_version=CODE_VERSIONS["source_media"], kinds={"ffmpeg"}, **COMMON)
def source_media(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                 storage: StorageResource) -> dg.MaterializeResult:
    """The stored file, probed: duration, container, streams. Not-media fails here."""
    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        media = stored_media_file(storage.media_dir, key)
        if media is None:
            raise NotMediaError(key, "no stored file for this key; register it first")
        return steps.probe_step(media, out)
    return materialize_partitions(context, "source_media", pipeline, storage, compute)


@dg.asset(code_version=CODE_VERSIONS["vocals"], deps=[source_media], pool="media",
          kinds={"demucs"}, **COMMON)
def vocals(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
           storage: StorageResource) -> dg.MaterializeResult:
    """The vocal stem when separation is on; otherwise the source audio passes through."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        probe = steps.read_json(upstream_file(storage, settings, fps, key, "source_media",
                                              "probe"))
        return steps.vocals_step(Path(probe["media_file"]), settings,
                                 storage.demucs_dir(settings), float(probe["duration_s"]), out)
    return materialize_partitions(context, "vocals", pipeline, storage, compute)


@dg.asset(code_version=CODE_VERSIONS["speech_audio"], deps=[vocals], pool="media",
          kinds={"ffmpeg"}, **COMMON)
def speech_audio(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                 storage: StorageResource) -> dg.MaterializeResult:
    """16 kHz mono WAV, loudness-normalized to the LUFS target without clipping."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        info = upstream_file(storage, settings, fps, key, "vocals", "vocals")
        audio = Path(steps.read_json(info)["audio_file"])
        return steps.speech_audio_step(audio, settings.lufs_target, out)
    return materialize_partitions(context, "speech_audio", pipeline, storage, compute)


@dg.asset(code_version=CODE_VERSIONS["speech_regions"], deps=[speech_audio], kinds={"webrtcvad"},
          **COMMON)
def speech_regions(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                   storage: StorageResource) -> dg.MaterializeResult:
    """webrtcvad speech regions and the cut map that remaps speech-only time to source time."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        wav = upstream_file(storage, settings, fps, key, "speech_audio", "wav")
        return steps.speech_regions_step(wav, settings, out)
    return materialize_partitions(context, "speech_regions", pipeline, storage, compute)
