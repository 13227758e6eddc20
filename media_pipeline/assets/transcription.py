"""Stage 'transcribing': speech recognition over the speech regions, in source time."""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.asr.transcribe import AsrOptions
from media_pipeline.assets.observe import transcription_progress
from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.transcription import (
    PendingTranscript,
    ReadyTranscript,
    transcribe_short_files,
    transcript_step,
    write_transcript,
)


@subtitle_asset("transcript", kinds={"whisper"})
def transcript(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
               storage: StorageResource) -> dg.MaterializeResult:
    """Words with probabilities and times on the original file's timeline, by the model the
    spoken language called for; files with little speech are decoded in shared batches."""
    settings = pipeline.settings()
    whisper, models_dir = storage.whisper, storage.data.models_dir
    ready: dict[str, ReadyTranscript] = {}

    def heard_in(key: str, fps: dict[str, str]) -> dict[str, Any]:
        return storage.artifacts.info(key, "spoken_language", fps["spoken_language"])

    def pending(key: str, fps: dict[str, str], heard: dict[str, Any]) -> PendingTranscript:
        model = str(heard["transcript_model"])
        return PendingTranscript(
            key, storage.artifacts.find(key, "speech_audio", fps["speech_audio"], "wav"),
            storage.artifacts.find(key, "speech_regions", fps["speech_regions"], "regions"),
            model, AsrOptions(language=heard["transcript_language"] or None,
                              beam_size=settings.beam_size, task=str(heard["task"]),
                              english_only=whisper.english_only(settings, models_dir, model)))

    def ahead(items: list[tuple[str, dict[str, str]]]) -> dict[str, float]:
        if len(items) > 1:
            ready.update(transcribe_short_files(
                [pending(key, fps, heard_in(key, fps)) for key, fps in items],
                lambda model: whisper.many_recognizer(settings, models_dir, model)))
        return {key: made.seconds for key, made in ready.items()}

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        heard = heard_in(key, fps)
        job = pending(key, fps, heard)
        if key in ready:
            files, info = write_transcript(ready.pop(key), out)
        else:
            recognize = whisper.recognizer(settings, models_dir, job.model)  # cached per model
            files, info = transcript_step(job.wav, job.regions, recognize, job.options, out,
                                          on_progress=transcription_progress(context, key))
        # "language" is the language of the words (English when translating): what the
        # correction and the subtitle file names go by; the spoken one is kept beside it.
        written = heard["subtitle_language"] or info["language"]
        info.update(model=job.model, task=job.options.task, language=written,
                    subtitle_language=written, spoken_language=heard["language"],
                    spoken_language_probability=heard["language_probability"])
        return files, info
    return materialize_partitions(context, "transcript", pipeline, storage, compute,
                                  ahead=ahead)
