"""Queues by kind, the executor a broker selects, and the data root's env file."""

from pathlib import Path

import pytest

from media_pipeline.cli.cluster import cluster_name
from media_pipeline.definitions import build_definitions
from media_pipeline.partitions import SUBTITLES_JOB
from media_pipeline.resources.queues import (
    CELERY_QUEUE_TAG,
    celery_settings,
    executor_config,
    queue_for,
)
from media_pipeline.settings import (
    DATA_DIR_ENV_FILE,
    PipelineSettings,
    RuntimeSettings,
    runtime_settings_from_env,
)


def test_recognition_and_demucs_have_queues_of_their_own() -> None:
    assert queue_for({"whisper"}) == "whisper"
    assert queue_for({"demucs"}) == "demucs"
    assert queue_for({"ffmpeg"}) == queue_for(None) == "default"


def test_a_broker_switches_the_jobs_to_celery_with_steps_routed_by_kind() -> None:
    assert build_definitions(RuntimeSettings(), PipelineSettings()).resolve_job_def(
        SUBTITLES_JOB).executor_def.name == "in_process"
    defs = build_definitions(RuntimeSettings(celery_broker_url="amqp://guest@host//"),
                             PipelineSettings())
    job = defs.resolve_job_def(SUBTITLES_JOB)
    assert job.executor_def.name == "celery"
    tags = {n.name: n.definition.tags.get(CELERY_QUEUE_TAG) for n in job.graph.nodes}
    assert tags["transcript"] == tags["spoken_language"] == "whisper"
    assert tags["vocals"] == "demucs" and tags["speech_audio"] == "default"


def test_a_dead_workers_step_goes_back_to_the_queue() -> None:
    assert celery_settings()["task_acks_late"] and celery_settings()["task_reject_on_worker_lost"]
    assert executor_config("redis://h:6379/0")["backend"] == "redis://h:6379/0"
    assert executor_config("amqp://h//")["backend"] == "rpc://"


def test_the_data_roots_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / DATA_DIR_ENV_FILE).write_text(
        "# cluster\nMEDIA_PIPELINE_CELERY_BROKER_URL=amqp://a//\n"
        "MEDIA_PIPELINE_MAX_CONCURRENT_RUNS=4\n")
    assert runtime_settings_from_env(tmp_path, env={}).celery_broker_url == "amqp://a//"
    runtime = runtime_settings_from_env(
        tmp_path, env={"MEDIA_PIPELINE_CELERY_BROKER_URL": "amqp://b//"})
    assert runtime.celery_broker_url == "amqp://b//" and runtime.max_concurrent_runs == 4


@pytest.mark.parametrize("folder", ["/srv/My Data", "/tmp/x"])
def test_cluster_names_are_safe_sql_names(folder: str) -> None:
    name = cluster_name(Path(folder))
    assert name.startswith("mp_") and name.replace("_", "").isalnum()
    assert cluster_name(Path(folder)) == name != cluster_name(Path(folder + "2"))
