"""Runs whose process died: found, failed, their pool slots freed; how each file's runs ended.

A process that runs in-process runs (``process``, ``reprocess``) holds an exclusive lock on a
file of its own under ``<data>/locks`` and tags its runs with that file's name. The kernel
drops the lock when the process dies, however it dies, so a dead owner is told from a live
one without trusting a pid that may since have been reused. Runs launched by a code server
are the daemon's run monitoring's to check (``jobs/launcher.py``).
"""

import fcntl
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import dagster as dg

from media_pipeline.partitions import (
    ACTIVE,
    PARTITION_TAG,
    RANGE_END,
    RANGE_START,
    RESUBMITTED_AS_TAG,
    SUBTITLES_JOB,
)

OWNER_TAG = "media_pipeline/owner"
"""The lock-file name of the process executing an in-process run."""
DIED_TAG = "media_pipeline/died"
"""Set on a run this module reported failed because its process was gone."""

DIED_REASON = ("the process running it died (killed, out of memory, or its terminal closed) "
               "before it finished")
RUN_LIMIT = 2000
"""Finished runs looked at per check: far more than any file needs to be judged."""


class RunOwner:
    """Holds ``<locks_dir>/<id>.lock`` while this process runs in-process runs."""

    def __init__(self, locks_dir: Path) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.path = locks_dir / f"{self.id}.lock"
        self._fd: int | None = None

    @property
    def tags(self) -> dict[str, str]:
        return {OWNER_TAG: self.id}

    def __enter__(self) -> "RunOwner":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people; the lock is what counts
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)
            os.close(self._fd)
            self._fd = None


def owner_alive(locks_dir: Path, owner_id: str) -> bool:
    """True while the process that took ``owner_id``'s lock still holds it."""
    path = locks_dir / f"{owner_id}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock we may have taken
    path.unlink(missing_ok=True)
    return False


def reap_dead_runs(instance: dg.DagsterInstance, locks_dir: Path) -> list[str]:
    """Fail every in-flight in-process run whose owner died, and free pool slots that
    finished runs still hold. Returns the ids of the runs reported failed."""
    reaped: list[str] = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=list(ACTIVE))):
        run = record.dagster_run
        owner = run.tags.get(OWNER_TAG)
        if owner is None or owner_alive(locks_dir, owner):
            continue
        instance.add_run_tags(run.run_id, {DIED_TAG: "1"})
        instance.report_run_failed(run, DIED_REASON)
        reaped.append(run.run_id)
    free_finished_slots(instance)
    return reaped


def free_finished_slots(instance: dg.DagsterInstance) -> int:
    """Free the pool slots held by runs that are no longer in progress; how many runs."""
    storage = instance.event_log_storage
    holders: set[str] = set()
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        holders.update(s.run_id for s in info.claimed_slots)
        holders.update(s.run_id for s in info.pending_steps)
    freed = 0
    for run_id in holders:
        run = instance.get_run_by_id(run_id)
        if run is None or run.status not in ACTIVE:
            storage.free_concurrency_slots_for_run(run_id)
            freed += 1
    return freed


def run_keys(run: dg.DagsterRun, position: dict[str, int], order: list[str]) -> list[str]:
    """The media partitions one run covers (``order``: the partition keys in order)."""
    single = run.tags.get(PARTITION_TAG)
    if single is not None:
        return [single]
    first, last = run.tags.get(RANGE_START), run.tags.get(RANGE_END)
    if first not in position or last not in position:
        return []
    return order[position[first]: position[last] + 1]


@dataclass
class History:
    """How the runs covering one file went, newest first."""

    active: str | None = None
    """The id of a queued or running run that covers the file."""
    active_status: str = ""
    finished: list[tuple[bool, bool, str]] = field(default_factory=list)
    """(alone, died, reason) of each finished, unsuccessful run covering the file."""
    succeeded: bool = False
    last_failed: dg.DagsterRun | None = None
    """The newest of those runs (to retry as it was: its job's tags, its run config)."""

    def deaths_alone(self) -> int:
        """Consecutive newest unsuccessful runs that ran this file alone and died."""
        count = 0
        for alone, died, _ in self.finished:
            if not (alone and died):
                break
            count += 1
        return count


def histories(instance: dg.DagsterInstance, keys: list[str], order: list[str],
              ) -> dict[str, History]:
    """For each of ``keys``: its active run, and its unsuccessful runs since its last success."""
    wanted = set(keys)
    position = {k: i for i, k in enumerate(order)}
    out = {k: History() for k in keys}
    records = instance.get_run_records(dg.RunsFilter(job_name=SUBTITLES_JOB), limit=RUN_LIMIT)
    for record in records:  # newest first
        run = record.dagster_run
        span = run_keys(run, position, order)
        ending: tuple[bool, bool, str] | None = None  # read once per run, only if needed
        for key in (k for k in span if k in wanted):
            history = out[key]
            if run.status in ACTIVE:
                if history.active is None:
                    history.active, history.active_status = run.run_id, run.status.value
            elif run.status == dg.DagsterRunStatus.SUCCESS:
                history.succeeded = True
            elif not history.succeeded and RESUBMITTED_AS_TAG not in run.tags:
                if ending is None:
                    died = DIED_TAG in run.tags or not _had_step_failure(instance, run.run_id)
                    ending = (len(span) == 1, died, failure_reason(instance, run))
                history.finished.append(ending)
                history.last_failed = history.last_failed or run
    return out


def retry_tags(run: dg.DagsterRun) -> dict[str, str]:
    """The tags a retry of ``run`` carries: what says whose run it is (an API job's id,
    options, name), not what Dagster or this module set on that particular run."""
    own = (OWNER_TAG, DIED_TAG, RESUBMITTED_AS_TAG)
    return {k: v for k, v in run.tags.items()
            if not k.startswith(("dagster/", ".dagster")) and k not in own}


def _had_step_failure(instance: dg.DagsterInstance, run_id: str) -> bool:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.STEP_FAILURE, limit=1).records
    return bool(records)


def failure_reason(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The first line of why ``run`` failed: its step failure, else its run failure."""
    for kind in (dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE):
        for record in instance.get_records_for_run(run.run_id, of_type=kind, limit=1).records:
            entry = record.event_log_entry
            event = entry.dagster_event
            data = event.step_failure_data if event is not None and event.is_step_failure \
                else None
            text = (data.error.message if data is not None and data.error is not None else None
                    ) or (event.message if event is not None else None) or entry.user_message
            lines = (text or "").strip().splitlines()
            if lines:
                step = f"{event.step_key}: " if event is not None and event.step_key else ""
                return f"{step}{lines[0]}"[:200]
    return "the run failed" if run.status != dg.DagsterRunStatus.CANCELED else "cancelled"
