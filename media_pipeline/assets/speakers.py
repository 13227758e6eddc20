"""Stage 'transcribing', beside recognition: who speaks when (speaker diarization)."""

from pathlib import Path

import dagster as dg

from media_pipeline.asr.models import cpu_lanes
from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.speakers import diarize_options, speakers_step


@subtitle_asset("speakers", kinds={"pytorch", "scikitlearn"})
def speakers(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
             storage: StorageResource) -> dg.MaterializeResult:
    """Speaker turns (start_s, end_s, speaker) on the source timeline, from GE2E voice
    embeddings of short windows clustered by cosine distance; none while speakers=off."""
    settings = pipeline.settings()
    diarize_options(settings)  # an unknown speakers value fails before any work

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        wav = storage.artifacts.find(key, "speech_audio", fps["speech_audio"], "wav")
        regions = storage.artifacts.find(key, "speech_regions", fps["speech_regions"], "regions")
        return speakers_step(wav, regions, settings, out)
    # onnxruntime runs on CPU whatever Whisper's device: files a few at a time.
    return materialize_partitions(context, "speakers", pipeline, storage, compute,
                                  lanes=cpu_lanes(settings.cpu_threads))
