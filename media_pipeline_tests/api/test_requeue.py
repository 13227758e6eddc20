"""Runs a stopped server left behind are queued again (jobs/recovery.py); a reused pid is not
taken for a run's worker (jobs/worker.py); a job with preview off never shows
``rendering_preview`` (jobs/derive.py, jobs/events.py). On a real instance, real processes."""

import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.events import EngineEventData

from media_pipeline.automation.liveness import process_start_time, same_process, worker_alive
from media_pipeline.jobs.derive import FactsCache, derive_job
from media_pipeline.jobs.events import EventLog, JobWatcher
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.launcher import GRPC_INFO_TAG
from media_pipeline.jobs.model import (
    API_TAG,
    JOB_TAG,
    KIND_PROCESS,
    KIND_TAG,
    NAME_TAG,
    SETTINGS_TAG,
    JobState,
    settings_to_tag,
)
from media_pipeline.jobs.recovery import requeue_orphaned_runs
from media_pipeline.partitions import (
    PARTITION_TAG,
    RESUBMITTED_AS_TAG,
    RESUBMITTED_FROM_TAG,
    SUBTITLES_JOB,
)
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot

ET = dg.DagsterEventType
STARTED = dg.DagsterRunStatus.STARTED
GRPC = {GRPC_INFO_TAG: '{"host": "127.0.0.1", "port": 1}'}


@pytest.fixture
def instance(tmp_path: Path) -> dg.DagsterInstance:
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    return open_instance(DataRoot.of(runtime).dagster_home, runtime)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def add_run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus, tags: Mapping[str, str],
            selection: Sequence[str] = ()) -> dg.DagsterRun:
    keys = frozenset(dg.AssetKey.from_user_string(a) for a in selection) or None
    return instance.add_run(dg.DagsterRun(job_name=SUBTITLES_JOB, run_id=str(uuid.uuid4()),
                                          status=status, tags=dict(tags),
                                          asset_selection=keys))


def record(instance: dg.DagsterInstance, run: dg.DagsterRun, event_type: ET,
           at: float | None = None, **fields: Any) -> None:
    """Store one Dagster event of ``run`` as if written at ``at`` (epoch seconds)."""
    event = dg.DagsterEvent(event_type_value=event_type.value, job_name=run.job_name,
                            message=event_type.value, **fields)
    instance.handle_new_event(dg.EventLogEntry(
        error_info=None, level=logging.INFO, user_message="", run_id=run.run_id,
        timestamp=time.time() if at is None else at, job_name=run.job_name,
        step_key=fields.get("step_key"), dagster_event=event))


def record_pid(instance: dg.DagsterInstance, run: dg.DagsterRun, pid: int,
               at: float | None = None) -> None:
    record(instance, run, ET.ENGINE_EVENT, at,
           event_specific_data=EngineEventData.in_process(pid))


class QueueSubmitter:
    """Puts runs in the instance as the webserver would (NOT_STARTED: not launched yet)."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.calls: list[dict[str, Any]] = []

    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        self.calls.append({"job": job_name, "tags": dict(tags), "selection": asset_selection})
        run = add_run(self.instance, dg.DagsterRunStatus.NOT_STARTED, tags,
                      asset_selection or ())
        return run.run_id


def test_a_reused_pid_is_not_the_worker(sleeper: subprocess.Popen[bytes]) -> None:
    started = process_start_time(sleeper.pid)
    assert started is not None and abs(started - time.time()) < 10
    assert same_process(sleeper.pid, time.time())  # recorded after it started: the worker
    # Recorded an hour before this process existed: the pid was reused by someone else.
    assert not same_process(sleeper.pid, time.time() - 3600)
    assert not same_process(dead_pid(), time.time())


def test_runs_left_by_a_stop_are_queued_again_and_their_jobs_stay_pending(
        instance: dg.DagsterInstance, sleeper: subprocess.Popen[bytes]) -> None:
    job = {API_TAG: "1", KIND_TAG: KIND_PROCESS, JOB_TAG: "0123456789abcdef",
           PARTITION_TAG: "0123456789abcdef", NAME_TAG: "talk.wav"}
    died = add_run(instance, STARTED, {**GRPC, **job})
    record(instance, died, ET.STEP_START, step_key="transcript")
    record_pid(instance, died, dead_pid())
    reused = add_run(instance, STARTED, {**GRPC, PARTITION_TAG: "inbox"})
    record_pid(instance, reused, sleeper.pid, at=time.time() - 3600)
    never_started = add_run(instance, dg.DagsterRunStatus.STARTING, GRPC,
                            ["subtitles", "library_entry"])
    alive = add_run(instance, STARTED, {**GRPC, PARTITION_TAG: "alive"})
    record_pid(instance, alive, sleeper.pid)
    cancelling = add_run(instance, dg.DagsterRunStatus.CANCELING, GRPC)
    record_pid(instance, cancelling, dead_pid())
    in_process = add_run(instance, STARTED, {PARTITION_TAG: "cli"})  # a CLI's run: not ours
    record_pid(instance, in_process, dead_pid())
    assert worker_alive(instance, alive.run_id) and not worker_alive(instance, reused.run_id)

    submitter = QueueSubmitter(instance)
    said: list[str] = []
    done = requeue_orphaned_runs(instance, submitter, said.append)

    assert set(done.resubmitted) == {died.run_id, reused.run_id, never_started.run_id}
    assert done.cancelled == [cancelling.run_id] and not done.failed
    assert said == ["queued again 3 run(s) interrupted by the last stop"]
    status = {r.run_id: r.status for r in instance.get_runs()}
    tags = {r.run_id: r.tags for r in instance.get_runs()}
    assert status[alive.run_id] == status[in_process.run_id] == STARTED
    assert status[cancelling.run_id] == dg.DagsterRunStatus.CANCELED
    for old, new in done.resubmitted.items():
        assert status[old] == dg.DagsterRunStatus.FAILURE
        assert status[new] == dg.DagsterRunStatus.NOT_STARTED
        failure = instance.all_logs(old, of_type=ET.RUN_FAILURE)[-1].message or ""
        assert failure == f"server stopped; resubmitted as run {new}"
        assert tags[old][RESUBMITTED_AS_TAG] == new and tags[new][RESUBMITTED_FROM_TAG] == old
    by_old = {c["tags"][RESUBMITTED_FROM_TAG]: c for c in submitter.calls}
    assert by_old[died.run_id]["tags"] == {**job, RESUBMITTED_FROM_TAG: died.run_id}
    assert by_old[never_started.run_id]["selection"] == ["library_entry", "subtitles"]

    # The job is all the runs with its tag: it shows the new run, waiting, with no error.
    records = instance.get_run_records(dg.RunsFilter(tags={JOB_TAG: job[JOB_TAG]}))
    derived = derive_job(job[JOB_TAG], records, FactsCache(instance), PipelineSettings())
    assert derived is not None and derived.state == JobState.PENDING
    assert derived.error is None and derived.runs == 2
    assert derived.run_id == done.resubmitted[died.run_id]
    # Nothing is left to recover: a second start does nothing.
    assert not requeue_orphaned_runs(instance, submitter).resubmitted


@pytest.mark.parametrize("preview", [False, True])
def test_the_preview_step_is_exporting_when_preview_is_off(
        instance: dg.DagsterInstance, preview: bool) -> None:
    settings = PipelineSettings(preview=preview)
    tags = {API_TAG: "1", KIND_TAG: KIND_PROCESS, JOB_TAG: "00000000000000aa",
            SETTINGS_TAG: settings_to_tag(settings)}
    log = EventLog()
    watcher = JobWatcher(instance, log, lambda job_id: None, defaults=PipelineSettings())
    watcher.start()
    try:
        run = add_run(instance, STARTED, tags)
        for step in ("subtitles", "preview"):
            record(instance, run, ET.STEP_START, step_key=step)
        watcher.tick()
    finally:
        watcher.stop()
    expected = JobState.RENDERING_PREVIEW if preview else JobState.EXPORTING
    states = [e.data["state"] for e in log.since(0) if e.type == "job_state"]
    assert states == ["exporting"] + (["rendering_preview"] if preview else [])
    records = instance.get_run_records(dg.RunsFilter(tags={JOB_TAG: tags[JOB_TAG]}))
    job = derive_job(tags[JOB_TAG], records, FactsCache(instance), PipelineSettings())
    assert job is not None and job.state == expected
