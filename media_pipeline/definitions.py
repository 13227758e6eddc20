"""The one Definitions object: assets, job, sensor and resources."""

import dagster as dg

from media_pipeline.assets.checks import subtitle_rules
from media_pipeline.assets.edits import edited_cues
from media_pipeline.assets.export import library_entry, subtitles
from media_pipeline.assets.narration import build_narration_definitions
from media_pipeline.assets.preprocessing import source_media, speech_audio, speech_regions, vocals
from media_pipeline.assets.refining import corrected_cues, cues
from media_pipeline.assets.reports import confidence_report, preview, waveform
from media_pipeline.assets.transcription import transcript
from media_pipeline.jobs.prune import build_prune_sensor
from media_pipeline.jobs.reprocess import build_reprocess_schedule
from media_pipeline.partitions import media_partitions
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource
from media_pipeline.sensors import SUBTITLES_JOB, build_inbox_sensor
from media_pipeline.settings import (
    PipelineSettings,
    RuntimeSettings,
    pipeline_settings_from_env,
    runtime_settings_from_env,
)

SUBTITLE_ASSETS = [source_media, vocals, speech_audio, speech_regions, transcript, cues,
                   corrected_cues, edited_cues, subtitles, confidence_report, waveform, preview,
                   library_entry]
SUBTITLE_CHECKS = [subtitle_rules]


def build_definitions(runtime: RuntimeSettings, pipeline: PipelineSettings) -> dg.Definitions:
    """Definitions bound to one data root and one set of pipeline settings."""
    subtitles_job = dg.define_asset_job(
        SUBTITLES_JOB,
        selection=dg.AssetSelection.assets(*SUBTITLE_ASSETS),
        partitions_def=media_partitions,
        executor_def=dg.in_process_executor,  # one process, one loaded model, many partitions
        description="Every subtitle stage for a range of media partitions.",
    )
    subtitle_defs = dg.Definitions(
        assets=SUBTITLE_ASSETS,
        asset_checks=SUBTITLE_CHECKS,
        jobs=[subtitles_job],
        sensors=[build_inbox_sensor(runtime.inbox, runtime.max_partitions_per_run),
                 build_prune_sensor(runtime.max_finished_jobs)],
        schedules=[build_reprocess_schedule(runtime.reprocess_cron,
                                            runtime.max_partitions_per_run,
                                            runtime.reprocess_max_queued)],
        resources={
            "pipeline": PipelineConfig.from_settings(pipeline),
            "storage": StorageResource(data_dir=str(runtime.data_dir)),
        },
    )
    return dg.Definitions.merge(subtitle_defs, build_narration_definitions(runtime))


defs = build_definitions(runtime_settings_from_env(), pipeline_settings_from_env())
