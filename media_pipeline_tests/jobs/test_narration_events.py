"""The narration watcher's events when a narration moves faster than the watcher looks."""

from dataclasses import dataclass, field, replace
from typing import Any

from media_pipeline.jobs.events import EventLog
from media_pipeline.jobs.narration import NarrationJob, NarrationStatus
from media_pipeline.jobs.narration_events import NarrationWatcher


@dataclass
class _NoRuns:
    def get_run_records(self, _filter: Any) -> list[Any]:
        return []


@dataclass
class _Jobs:
    job: NarrationJob
    instance: _NoRuns = field(default_factory=_NoRuns)

    def get_job_status(self, key: str) -> NarrationJob:
        assert key == self.job.id
        return self.job


def _kinds(events: EventLog) -> list[tuple[str, int]]:
    return [(e.type, e.data["chunks_done"]) for e in events.since(0)]


def _announced(key: str, chunks: int) -> tuple[NarrationJob, _Jobs, EventLog, NarrationWatcher]:
    """A new narration of ``chunks`` chunks, announced to a watcher of its own."""
    created = NarrationJob(id=key, status=NarrationStatus.PENDING, voice="v", speed=1.0,
                           provider="fake", text_chars=10, created_at=0.0, total_chunks=chunks)
    jobs = _Jobs(created)
    events = EventLog()
    watcher = NarrationWatcher(events, lambda: jobs)  # type: ignore[arg-type, return-value]
    watcher.announce(created)
    return created, jobs, events, watcher


def test_a_narration_done_between_two_looks_still_reports_its_last_progress() -> None:
    created, jobs, events, watcher = _announced("n1", 3)
    jobs.job = replace(created, status=NarrationStatus.COMPLETED, completed_chunks=3)
    watcher.tick()
    watcher.tick()
    assert _kinds(events) == [("narration_created", 0), ("narration_progress", 3),
                              ("narration_completed", 3)]


def test_progress_seen_on_the_way_is_not_repeated_at_the_end() -> None:
    created, jobs, events, watcher = _announced("n2", 2)
    for done in (1, 2):
        jobs.job = replace(created, status=NarrationStatus.IN_PROGRESS, completed_chunks=done)
        watcher.tick()
    jobs.job = replace(created, status=NarrationStatus.COMPLETED, completed_chunks=2)
    watcher.tick()
    assert _kinds(events) == [("narration_created", 0), ("narration_progress", 1),
                              ("narration_progress", 2), ("narration_completed", 2)]
