"""Stage 'preprocessing': register and probe, (vocals), decode + loudness, speech regions."""

from pathlib import Path

import dagster as dg

from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.errors import NotMediaError
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages import preprocessing as stage
from media_pipeline.stages.cues_file import StepResult


@subtitle_asset("source_media", kinds={"ffmpeg"})
def source_media(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                 storage: StorageResource) -> dg.MaterializeResult:
    """The stored file, probed: duration, container, streams, its audio tracks and the
    subtitle tracks it carries. Not-media fails here."""
    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        media = storage.data.media_file(key)
        if media is None:
            raise NotMediaError(key, "no stored file for this key; register it first")
        return stage.probe_step(media, out)
    return materialize_partitions(context, "source_media", pipeline, storage, compute)


@subtitle_asset("vocals", pool="media", kinds={"demucs"})
def vocals(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
           storage: StorageResource) -> dg.MaterializeResult:
    """The audio track that ``audio_track``/``audio_language`` pick, and its vocal stem when
    separation is on; otherwise that track of the source passes through."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        probe = storage.artifacts.info(key, "source_media", fps["source_media"])
        return stage.vocals_step(Path(probe["media_file"]), settings,
                                 storage.demucs_dir(settings), float(probe["duration_s"]), out)
    return materialize_partitions(context, "vocals", pipeline, storage, compute)


@subtitle_asset("speech_audio", pool="media", kinds={"ffmpeg"})
def speech_audio(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                 storage: StorageResource) -> dg.MaterializeResult:
    """16 kHz mono WAV of the chosen audio track (or its vocal stem), loudness-normalized to
    the LUFS target without clipping."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        vocals = storage.artifacts.info(key, "vocals", fps["vocals"])
        track = {k: vocals[k] for k in stage.TRACK_FIELDS if k in vocals}
        return stage.speech_audio_step(Path(vocals["audio_file"]), settings.lufs_target, out,
                                       int(vocals.get("decode_track", 0)), track)
    return materialize_partitions(context, "speech_audio", pipeline, storage, compute)


@subtitle_asset("speech_regions", kinds={"webrtcvad"})
def speech_regions(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                   storage: StorageResource) -> dg.MaterializeResult:
    """webrtcvad speech regions and the cut map that remaps speech-only time to source time."""
    settings = pipeline.settings()

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        wav = storage.artifacts.find(key, "speech_audio", fps["speech_audio"], "wav")
        return stage.speech_regions_step(wav, settings, out)
    return materialize_partitions(context, "speech_regions", pipeline, storage, compute)
