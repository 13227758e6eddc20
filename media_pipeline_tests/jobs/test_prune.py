"""Run history is kept; retention in days never removes a partition's latest materialization."""

import time
from pathlib import Path

import dagster as dg

from media_pipeline.automation.prune import build_retention_sensor, delete_expired_runs
from media_pipeline.jobs.instance import open_instance
from media_pipeline.settings import runtime_settings_from_env
from media_pipeline.store.paths import DataRoot

parts = dg.StaticPartitionsDefinition(["a", "b"])


@dg.asset(partitions_def=parts)
def thing() -> int:
    return 1


@dg.op
def work() -> int:
    return 1


@dg.job
def small_job() -> None:
    work()


DEFS = dg.Definitions(assets=[thing], jobs=[dg.define_asset_job("thing_job", [thing],
                                                                partitions_def=parts)])


def test_old_runs_go_but_the_latest_materialization_of_each_partition_stays(
        tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={
        "MEDIA_PIPELINE_RUN_RETENTION_DAYS": "7", "MAX_FINISHED_JOBS": "1"})
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    job = DEFS.resolve_job_def("thing_job")
    first_a = job.execute_in_process(instance=instance, partition_key="a").run_id
    latest_a = job.execute_in_process(instance=instance, partition_key="a").run_id
    only_b = job.execute_in_process(instance=instance, partition_key="b").run_id
    plain = small_job.execute_in_process(instance=instance).run_id
    queued = instance.create_run_for_job(small_job).run_id  # not finished: never deleted

    assert delete_expired_runs(instance, 0) == []  # 0 keeps everything
    assert delete_expired_runs(instance, runtime.run_retention_days) == []  # all are young
    later = time.time() + 8 * 86_400
    deleted = delete_expired_runs(instance, runtime.run_retention_days, now=later)

    assert sorted(deleted) == sorted([first_a, plain])
    assert {r.run_id for r in instance.get_runs()} == {latest_a, only_b, queued}
    assert set(instance.get_materialized_partitions(dg.AssetKey("thing"))) == {"a", "b"}


def test_history_is_kept_by_default_whatever_max_finished_jobs_says(tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={"MAX_FINISHED_JOBS": "1"})
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    for _ in range(3):
        small_job.execute_in_process(instance=instance)
    sensor = build_retention_sensor(runtime.run_retention_days)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason) and "kept" in (result.skip_message or "")
    assert len(instance.get_runs()) == 3
