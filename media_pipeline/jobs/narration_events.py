"""Narration events on the same SSE stream as the job events.

A watcher thread follows the narration runs (found by update time, like the job watcher)
and, while one is active, the chunk progress its run writes to the narration store:
``narration_created``, ``narration_progress`` (``{"id", "state", "chunks_done",
"chunks_total"}``), then ``narration_completed`` or ``narration_failed`` (with ``error``).
The API announces a new narration itself, the moment it is created.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from media_pipeline.jobs.events import EventLog
from media_pipeline.jobs.narration import NarrationJob, NarrationJobs, NarrationStatus
from media_pipeline.partitions import ACTIVE, NARRATION_JOB, PARTITION_TAG

log = logging.getLogger(__name__)
TERMINAL = {NarrationStatus.COMPLETED: "narration_completed",
            NarrationStatus.FAILED: "narration_failed"}


def narration_event(job: NarrationJob) -> dict[str, Any]:
    """The narration as a job event carries it: its JSON plus state and chunk counts."""
    return {**job.to_json(), "state": job.status.value, "chunks_done": job.completed_chunks,
            "chunks_total": job.total_chunks}


@dataclass
class NarrationWatcher:
    """Publishes narration events into ``events``; ``jobs`` gives the narrations (None
    until the app has made its narration service: nothing to follow before)."""

    events: EventLog
    jobs: Callable[[], NarrationJobs | None]
    interval_s: float = 0.5
    _seen: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _since: datetime | None = None

    def start(self) -> None:
        """Follow narration runs that change from now on (no events for the past)."""
        self._since = datetime.now(UTC) - timedelta(seconds=5)
        self._thread = threading.Thread(target=self._loop, name="narration-watcher",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def announce(self, job: NarrationJob) -> None:
        """``narration_created`` for a narration just made (then followed to its end)."""
        with self._lock:
            self._seen[job.id] = _mark(job)
            self._active.add(job.id)
            self.events.publish("narration_created", narration_event(job))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # a storage hiccup must not end the event stream
                log.exception("narration watcher tick failed")

    def tick(self) -> None:
        """One look at the runs that changed and the narrations still in progress."""
        jobs = self.jobs()
        if jobs is None:
            return
        now = datetime.now(UTC)
        since = (self._since or now) - timedelta(seconds=5)
        self._since = now
        records = jobs.instance.get_run_records(
            dg.RunsFilter(job_name=NARRATION_JOB, updated_after=since))
        keys = {r.dagster_run.tags.get(PARTITION_TAG) for r in records}
        keys.update(self._active)
        for key in sorted(k for k in keys if k):
            try:
                job = jobs.get_job_status(key)
            except Exception:  # deleted by cleanup meanwhile
                self._active.discard(key)
                continue
            self._publish(job, any(r.dagster_run.tags.get(PARTITION_TAG) == key
                                   and r.dagster_run.status in ACTIVE for r in records))

    def _publish(self, job: NarrationJob, running: bool) -> None:
        with self._lock:
            before = self._seen.get(job.id)
            mark = _mark(job)
            if before is None:
                self.events.publish("narration_created", narration_event(job))
            if job.status in TERMINAL:
                self._active.discard(job.id)
            elif running or job.status == NarrationStatus.IN_PROGRESS:
                self._active.add(job.id)
            if mark == before:
                return
            self._seen[job.id] = mark
            done_before = before[1] if before is not None else 0
            # A narration can finish between two looks: its last chunk count still goes out
            # as progress first, so a progress bar always reaches the end it announces.
            finished = job.status in TERMINAL
            if (finished and job.completed_chunks > done_before) or (
                    not finished and (before is not None or job.completed_chunks)):
                self.events.publish("narration_progress", {
                    "id": job.id, "state": job.status.value,
                    "chunks_done": job.completed_chunks, "chunks_total": job.total_chunks})
            if finished:
                self.events.publish(TERMINAL[job.status], narration_event(job))


def _mark(job: NarrationJob) -> tuple[str, int, int]:
    return job.status.value, job.completed_chunks, job.total_chunks
