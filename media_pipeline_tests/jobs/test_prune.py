"""Only the newest MAX_FINISHED_JOBS finished runs stay in the instance."""

from pathlib import Path

import dagster as dg

from media_pipeline.automation.prune import build_prune_sensor, prune_finished_runs
from media_pipeline.jobs.instance import open_instance
from media_pipeline.library.db import Library
from media_pipeline.settings import runtime_settings_from_env
from media_pipeline.store.paths import DataRoot


@dg.op
def work() -> int:
    return 1


@dg.job
def small_job() -> None:
    work()


def test_old_finished_runs_are_deleted_and_library_rows_stay(tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={"MAX_FINISHED_JOBS": "3"})
    assert runtime.max_finished_jobs == 3
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    library = Library(DataRoot.of(runtime).library_path)
    library.register("0123456789abcdef", "a.wav", "/x/a.wav")
    run_ids = [small_job.execute_in_process(instance=instance).run_id for _ in range(5)]
    queued = instance.create_run_for_job(small_job)  # not started yet

    deleted = prune_finished_runs(instance, runtime.max_finished_jobs)

    assert sorted(deleted) == sorted(run_ids[:2])  # the oldest two
    remaining = {r.run_id for r in instance.get_runs()}
    assert remaining == {*run_ids[2:], queued.run_id}  # unfinished runs are never pruned
    assert library.get("0123456789abcdef") is not None
    assert prune_finished_runs(instance, 3) == []


def test_the_sensor_prunes_wherever_the_daemon_runs(tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    for _ in range(3):
        small_job.execute_in_process(instance=instance)
    sensor = build_prune_sensor(keep=1)
    result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason) and "deleted 2" in (result.skip_message or "")
    assert len(instance.get_runs()) == 1
