"""Stage 'transcribing': faster-whisper over the speech regions, remapped to source time."""

from pathlib import Path

import dagster as dg

from media_pipeline import steps
from media_pipeline.asr.models import is_english_only
from media_pipeline.asr.transcribe import AsrOptions
from media_pipeline.assets.partitioned import materialize_partitions, upstream_file
from media_pipeline.assets.preprocessing import COMMON, speech_audio, speech_regions
from media_pipeline.errors import ConfigurationError
from media_pipeline.fingerprints import CODE_VERSIONS
from media_pipeline.jobs.observe import transcription_progress
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource


@dg.asset(code_version=CODE_VERSIONS["transcript"], deps=[speech_audio, speech_regions],
          kinds={"whisper"}, **COMMON)
def transcript(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
               storage: StorageResource) -> dg.MaterializeResult:
    """Words with probabilities and times on the original file's timeline."""
    settings = pipeline.settings()
    model_dir = storage.model_dir(settings)
    english_only = is_english_only(settings.model, model_dir)
    if english_only and settings.language not in ("", "en"):
        raise ConfigurationError(
            f"model {settings.model!r} is English-only; language {settings.language!r} needs "
            "a multilingual model such as 'base'")
    options = AsrOptions(language=settings.language or None, beam_size=settings.beam_size,
                         english_only=english_only)

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        wav = upstream_file(storage, settings, fps, key, "speech_audio", "wav")
        regions = upstream_file(storage, settings, fps, key, "speech_regions", "regions")
        model = storage.whisper(settings)  # loaded on first use only, once per process
        files, info = steps.transcript_step(
            wav, regions, model, options, out,
            on_progress=transcription_progress(context, key))  # the jobs API shows it
        info["model"] = settings.model
        return files, info
    return materialize_partitions(context, "transcript", pipeline, storage, compute)
