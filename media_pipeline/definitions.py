"""The one Definitions object: assets, checks, jobs, sensors, schedules and resources.

Built lazily: Dagster's code server and ``dg check defs`` call :func:`defs`; the CLI, the
API and the tests call :func:`build_definitions` with the settings they already hold.
"""

import dagster as dg

from media_pipeline.assets.checks import subtitle_rules
from media_pipeline.assets.edits import edited_cues
from media_pipeline.assets.export import library_entry, subtitles
from media_pipeline.assets.language import spoken_language
from media_pipeline.assets.narration import NARRATION_ASSETS, narration_round_trip
from media_pipeline.assets.preprocessing import source_media, speech_audio, speech_regions, vocals
from media_pipeline.assets.refining import corrected_cues, cues
from media_pipeline.assets.reports import confidence_report, preview, waveform
from media_pipeline.assets.sidecars import sidecars
from media_pipeline.assets.speakers import speakers
from media_pipeline.assets.transcription import transcript
from media_pipeline.automation.inbox import build_inbox_sensor
from media_pipeline.automation.narration_cleanup import (
    build_cleanup_schedule,
    narration_cleanup_job,
)
from media_pipeline.automation.prune import build_retention_sensor
from media_pipeline.automation.repair import build_repair_sensor
from media_pipeline.automation.reprocess import build_reprocess_schedule
from media_pipeline.partitions import (
    NARRATION_JOB,
    SUBTITLES_JOB,
    media_partitions,
    narration_partitions,
)
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.narration import NarrationResource
from media_pipeline.resources.queues import executor_config
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import WhisperResource
from media_pipeline.settings import (
    NarrationSettings,
    PipelineSettings,
    RuntimeSettings,
    narration_settings_from_env,
    pipeline_settings_from_env,
    runtime_settings_from_env,
)
from media_pipeline.store.paths import DataRoot

SUBTITLE_ASSETS = [source_media, vocals, speech_audio, speech_regions, spoken_language,
                   transcript, speakers, cues,
                   corrected_cues, edited_cues, subtitles, confidence_report, waveform, preview,
                   library_entry, sidecars]
SUBTITLE_CHECKS = [subtitle_rules]


def build_definitions(runtime: RuntimeSettings, pipeline: PipelineSettings,
                      whisper: WhisperResource | None = None) -> dg.Definitions:
    """Definitions bound to one data root and one set of pipeline settings.

    ``whisper`` replaces faster-whisper (tests give a ``FakeWhisperResource``).
    """
    subtitles_job = dg.define_asset_job(
        SUBTITLES_JOB,
        selection=dg.AssetSelection.assets(*SUBTITLE_ASSETS),
        partitions_def=media_partitions,
        executor_def=run_executor(runtime),  # one process, one loaded model, many partitions
        description="Every subtitle stage for a range of media partitions.",
    )
    subtitle_defs = dg.Definitions(
        assets=SUBTITLE_ASSETS,
        asset_checks=SUBTITLE_CHECKS,
        jobs=[subtitles_job],
        sensors=[build_inbox_sensor(DataRoot.of(runtime).inbox, runtime.max_partitions_per_run,
                                    runtime.inbox_settle_s),
                 build_repair_sensor(runtime.max_partitions_per_run),
                 build_retention_sensor(runtime.run_retention_days)],
        schedules=[build_reprocess_schedule(runtime.reprocess_cron,
                                            runtime.max_partitions_per_run,
                                            runtime.reprocess_max_queued)],
        resources={
            "pipeline": PipelineConfig.from_settings(pipeline),
            "storage": StorageResource.of(runtime, whisper),
        },
    )
    return dg.Definitions.merge(subtitle_defs, build_narration_definitions(runtime))


def run_executor(runtime: RuntimeSettings) -> dg.ExecutorDefinition:
    """In-process (one process per run), or with a Celery broker set, Dagster's Celery
    executor: each step goes to a ``media-pipeline worker`` on the queue its kinds pick."""
    if not runtime.celery_broker_url:
        return dg.in_process_executor
    from dagster_celery import celery_executor

    executor: dg.ExecutorDefinition = celery_executor.configured(
        executor_config(runtime.celery_broker_url), name="celery")
    return executor


def build_narration_definitions(runtime: RuntimeSettings,
                                settings: NarrationSettings | None = None) -> dg.Definitions:
    """Narration assets, round-trip check, job, cleanup schedule and resource for a data root."""
    settings = settings or narration_settings_from_env()
    selection: dg.AssetSelection = dg.AssetSelection.assets(*NARRATION_ASSETS)
    if not settings.round_trip_check:
        selection = selection.without_checks()
    job = dg.define_asset_job(
        NARRATION_JOB, selection=selection, partitions_def=narration_partitions,
        executor_def=run_executor(runtime),
        description="Text to narrated MP3 with word timings and subtitles, one request a run.")
    return dg.Definitions(
        assets=NARRATION_ASSETS, asset_checks=[narration_round_trip],
        jobs=[job, narration_cleanup_job],
        schedules=[build_cleanup_schedule(settings.cleanup_cron)],
        resources={"narration": NarrationResource.from_settings(runtime, settings)})


@dg.definitions
def defs() -> dg.Definitions:
    """What the Dagster code server loads: settings from the environment."""
    return build_definitions(runtime_settings_from_env(), pipeline_settings_from_env())
