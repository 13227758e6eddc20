"""cleanup_old_jobs: old narrations lose their runs, partition, files and audio."""

import time

import dagster as dg

from media_pipeline.automation.narration_cleanup import CLEANUP_JOB
from media_pipeline.definitions import build_narration_definitions
from media_pipeline.jobs.narration import NarrationStatus
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.partitions import NARRATION_JOB, NARRATION_PARTITIONS_NAME
from media_pipeline.settings import NarrationSettings
from media_pipeline_tests.narration.conftest import GatedProvider, UseProvider
from media_pipeline_tests.tts.fakes import FakeProvider

Use = UseProvider
DAY = 24 * 3600


def _narrate(service: NarrationService, text: str, at: float) -> str:
    job, _ = service.jobs.create_job(text, voice="v1", now=at)
    assert service.execute(job.id)
    return job.id


def _runs(service: NarrationService, key: str) -> list[dg.DagsterRun]:
    return list(service.instance.get_runs(
        dg.RunsFilter(job_name=NARRATION_JOB, tags={"dagster/partition": key})))


def test_cleanup_removes_old_jobs_and_their_files(service: NarrationService,
                                                  use_provider: Use) -> None:
    use_provider(FakeProvider())
    now = time.time()
    old = [_narrate(service, f"Old narration number {word}.", now - 2 * DAY)
           for word in ("one", "two")]
    fresh = _narrate(service, "A fresh narration.", now - 3600)
    for key in [*old, fresh]:
        assert service.jobs.get_job_status(key).status == NarrationStatus.COMPLETED
    assert service.jobs.cleanup_old_jobs(now=now) == 2

    for key in old:
        assert not service.store.audio_path(key).exists()
        assert not service.store.directory(key).exists()
        assert not service.instance.has_dynamic_partition(NARRATION_PARTITIONS_NAME, key)
        assert _runs(service, key) == []
    assert service.store.audio_path(fresh).exists()
    assert service.jobs.get_job_status(fresh).status == NarrationStatus.COMPLETED
    assert [j.id for j in service.jobs.list_jobs()] == [fresh]
    assert service.jobs.cleanup_old_jobs(max_age_hours=0.5, now=now) == 1
    assert service.jobs.list_jobs() == []


def test_asking_again_keeps_a_narration_alive(service: NarrationService,
                                              use_provider: Use) -> None:
    use_provider(FakeProvider())
    now = time.time()
    key = _narrate(service, "Asked for long ago.", now - 2 * DAY)
    service.jobs.create_job("Asked for long ago.", voice="v1", now=now - 60)
    assert service.jobs.cleanup_old_jobs(now=now) == 0
    assert service.store.audio_path(key).exists()


def test_cleanup_keeps_a_narration_whose_run_is_in_flight(service: NarrationService,
                                                          use_provider: Use) -> None:
    provider = use_provider(GatedProvider(gate_at=1))
    job, _ = service.jobs.create_job("Slow narration.", voice="v1", now=time.time() - 2 * DAY)
    future = service.submit(job.id)
    assert provider.reached.wait(120)
    assert service.jobs.cleanup_old_jobs() == 0
    provider.release.set()
    assert future.result(240)
    assert service.jobs.cleanup_old_jobs() == 1


def test_the_cleanup_job_of_the_schedule(service: NarrationService, use_provider: Use) -> None:
    use_provider(FakeProvider())
    key = _narrate(service, "Scheduled away.", time.time() - 2 * DAY)
    defs = build_narration_definitions(service.runtime, NarrationSettings(max_age_hours=24))
    schedule = defs.resolve_schedule_def("narration_cleanup_schedule")
    assert schedule.job_name == CLEANUP_JOB
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    result = defs.resolve_job_def(CLEANUP_JOB).execute_in_process(instance=service.instance)
    assert result.success and result.output_for_node("cleanup_old_narrations") == 1
    assert not service.store.audio_path(key).exists()
