"""Narration housekeeping: orphaned runs failed and their pool slots freed; old narrations
deleted (the seed's ``cleanup_old_jobs``), from the instance and the narration store."""

import socket
import time

import dagster as dg

from media_pipeline.automation.liveness import same_process
from media_pipeline.partitions import (
    ACTIVE,
    NARRATION_JOB,
    NARRATION_PARTITIONS_NAME,
    PARTITION_TAG,
)
from media_pipeline.resources.narration import NarrationResource
from media_pipeline.store.narration import (
    NarrationNotFoundError,
    NarrationRequest,
    NarrationStore,
    is_key,
)

PID_TAG = "media_pipeline/pid"
HOST_TAG = "media_pipeline/host"
INTERRUPTED_TAG = "media_pipeline/interrupted"
CLEANUP_JOB = "narration_cleanup_job"


def reap_if_orphaned(instance: dg.DagsterInstance, run: dg.DagsterRun) -> dg.DagsterRun:
    """A run left STARTED by a process that died is marked failed and its slot freed."""
    pid = run.tags.get(PID_TAG)
    if (run.status not in ACTIVE or not pid or not pid.isdigit()
            or run.tags.get(HOST_TAG) != socket.gethostname()):
        return run
    record = instance.get_run_record_by_id(run.run_id)
    created = record.create_timestamp.timestamp() if record is not None else time.time()
    if same_process(int(pid), created):  # the tagging process existed when the run was made
        return run
    instance.add_run_tags(run.run_id, {INTERRUPTED_TAG: "1"})
    instance.report_run_failed(run, "the process running it exited")
    instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
    return instance.get_run_by_id(run.run_id) or run


def reap_orphaned_runs(instance: dg.DagsterInstance) -> int:
    """Fail every in-flight narration run whose process is gone, freeing its pool slot
    (so a killed ``narrate`` never blocks later narrations). Returns how many."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=NARRATION_JOB, statuses=list(ACTIVE)))
    reaped = [reap_if_orphaned(instance, r.dagster_run) for r in records]
    return sum(run.status not in ACTIVE for run in reaped)


def cleanup_old_narrations(instance: dg.DagsterInstance, store: NarrationStore,
                           max_age_hours: float, now: float | None = None) -> int:
    """Delete narrations last requested over ``max_age_hours`` ago (runs, partition, files,
    audio); narrations with a run in flight are kept. Returns how many went."""
    cutoff = (time.time() if now is None else now) - max_age_hours * 3600
    keys = set(store.list_keys()) | set(instance.get_dynamic_partitions(NARRATION_PARTITIONS_NAME))
    removed = 0
    for key in sorted(keys):
        try:
            request: NarrationRequest | None = store.load_request(key)
        except NarrationNotFoundError:
            request = None
        if request is not None and request.requested_at >= cutoff:
            continue
        runs = instance.get_runs(dg.RunsFilter(job_name=NARRATION_JOB, tags={PARTITION_TAG: key}))
        if any(r.status in ACTIVE for r in (reap_if_orphaned(instance, r) for r in runs)):
            continue
        for run in runs:
            instance.delete_run(run.run_id)
        if instance.has_dynamic_partition(NARRATION_PARTITIONS_NAME, key):
            instance.delete_dynamic_partition(NARRATION_PARTITIONS_NAME, key)
        if is_key(key):
            store.delete(key)
        removed += 1
    return removed


@dg.op(name="cleanup_old_narrations")
def cleanup_old_narrations_op(context: dg.OpExecutionContext,
                              narration: NarrationResource) -> int:
    """The seed's cleanup_old_jobs: old narrations, their runs, partitions and audio."""
    removed = cleanup_old_narrations(context.instance, narration.store(), narration.max_age_hours)
    context.log.info(f"removed {removed} narrations older than {narration.max_age_hours} h")
    return removed


@dg.job(name=CLEANUP_JOB, description="Delete narrations older than the maximum age.")
def narration_cleanup_job() -> None:
    cleanup_old_narrations_op()


def build_cleanup_schedule(cron: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="narration_cleanup_schedule", job=narration_cleanup_job, cron_schedule=cron,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="cleanup_old_jobs: narrations last requested over max_age_hours ago.")
