"""Stage 'spoken language': the language of each file's speech, and the model for it."""

from pathlib import Path

import dagster as dg

from media_pipeline.asr.language import check_task
from media_pipeline.asr.models import decode_lanes
from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.language import spoken_language_step


@subtitle_asset("spoken_language", kinds={"whisper"})
def spoken_language(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                    storage: StorageResource) -> dg.MaterializeResult:
    """The language detected over the speech regions (or forced), its probability, the
    runners-up, and the Whisper model chosen to write the transcript."""
    settings = pipeline.settings()
    check_task(settings)
    whisper, models_dir = storage.whisper, storage.data.models_dir

    def english_only(model: str) -> bool:
        return whisper.english_only(settings, models_dir, model)

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        wav = storage.artifacts.find(key, "speech_audio", fps["speech_audio"], "wav")
        regions = storage.artifacts.find(key, "speech_regions", fps["speech_regions"], "regions")
        detect = None if settings.language else whisper.detector(settings, models_dir)
        return spoken_language_step(wav, regions, detect, settings, english_only, out)
    # Files are heard a few at a time: the model has a worker per lane (asr/models.py).
    lanes = 1 if settings.language else decode_lanes(settings.device, settings.cpu_threads)[0]
    return materialize_partitions(context, "spoken_language", pipeline, storage, compute,
                                  lanes=lanes)
