"""Stage 'transcribing': speech recognition over the speech regions, in source time."""

from pathlib import Path

import dagster as dg

from media_pipeline.asr.transcribe import AsrOptions
from media_pipeline.assets.observe import transcription_progress
from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.errors import ConfigurationError
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.transcription import transcript_step


@subtitle_asset("transcript", kinds={"whisper"})
def transcript(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
               storage: StorageResource) -> dg.MaterializeResult:
    """Words with probabilities and times on the original file's timeline."""
    settings = pipeline.settings()
    english_only = storage.whisper.english_only(settings, storage.data.models_dir)
    if english_only and settings.language not in ("", "en"):
        raise ConfigurationError(
            f"model {settings.model!r} is English-only; language {settings.language!r} needs "
            "a multilingual model such as 'base'")
    options = AsrOptions(language=settings.language or None, beam_size=settings.beam_size,
                         english_only=english_only)

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        wav = storage.artifacts.find(key, "speech_audio", fps["speech_audio"], "wav")
        regions = storage.artifacts.find(key, "speech_regions", fps["speech_regions"], "regions")
        recognize = storage.whisper.recognizer(settings, storage.data.models_dir)  # cached
        files, info = transcript_step(wav, regions, recognize, options, out,
                                      on_progress=transcription_progress(context, key))
        info["model"] = settings.model
        return files, info
    return materialize_partitions(context, "transcript", pipeline, storage, compute)
