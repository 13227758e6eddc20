"""Job events for Server-Sent Events, read from the runs' event logs as they happen.

A watcher thread follows every API run (new ones are found by update time) and turns its
Dagster events into job events, in the order Dagster recorded them: ``job_created``,
``job_state`` (each stage entered), ``job_progress`` (seconds of speech transcribed), and
one of ``job_completed`` / ``job_failed`` / ``job_cancelled``. Event ids are increasing
integers (milliseconds since the epoch, bumped when needed) so a client resumes with
``Last-Event-ID`` even across a server restart, for the events still in the buffer.
"""

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from media_pipeline.assets.observe import TRANSCRIBED_S
from media_pipeline.jobs.derive import metadata_values, preview_on, sanitize, shown_state
from media_pipeline.jobs.model import (
    API_TAG,
    JOB_TAG,
    KIND_EXPORT,
    KIND_TAG,
    Job,
    JobState,
    furthest,
    state_of_step,
)
from media_pipeline.jobs.preview import PREVIEW_TAG
from media_pipeline.partitions import ACTIVE
from media_pipeline.settings import PipelineSettings

ET = dg.DagsterEventType
WATCHED = {ET.RUN_ENQUEUED, ET.STEP_START, ET.ASSET_OBSERVATION,
           ET.ASSET_MATERIALIZATION, ET.RUN_SUCCESS, ET.RUN_FAILURE, ET.RUN_CANCELED}
TERMINAL_EVENT = {JobState.COMPLETED: "job_completed", JobState.FAILED: "job_failed",
                  JobState.CANCELLED: "job_cancelled"}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any]

    def sse(self) -> str:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.type}\ndata: {payload}\n\n"


class EventLog:
    """The last ``capacity`` events, in order."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._last_id = 0

    @property
    def last_id(self) -> int:
        with self._lock:
            return self._last_id

    def publish(self, type_: str, data: dict[str, Any]) -> Event:
        with self._lock:
            self._last_id = max(self._last_id + 1, int(time.time() * 1000))
            event = Event(self._last_id, type_, data)
            self._events.append(event)
            return event

    def since(self, last_id: int) -> list[Event]:
        with self._lock:
            if not self._events or self._events[-1].id <= last_id:
                return []
            return [e for e in self._events if e.id > last_id]


@dataclass
class _RunTrack:
    job_id: str
    export: bool
    preview: bool
    cursor: str | None = None
    speech_s: float | None = None
    stage: JobState | None = None
    rendering_only: bool = False
    """A preview asked for by the page (jobs/preview.py): no completion notice for it."""


@dataclass
class JobWatcher:
    """Follows API runs in the instance and publishes job events."""

    instance: dg.DagsterInstance
    events: EventLog
    get_job: Callable[[str], Job | None]
    interval_s: float = 0.5
    defaults: PipelineSettings = field(default_factory=PipelineSettings)
    """The server's settings, for runs that carry none of their own."""
    on_finished: Callable[[dict[str, Any]], None] | None = None
    """Called with each terminal job event's data (the completion webhook queues it)."""
    _runs: dict[str, _RunTrack] = field(default_factory=dict)
    _done: deque[str] = field(default_factory=lambda: deque(maxlen=5000))
    _state: dict[str, str] = field(default_factory=dict)
    _progress: dict[str, float] = field(default_factory=dict)
    _announced: set[str] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _since: datetime | None = None

    def start(self) -> None:
        """Remember what exists (no events for the past), then follow changes."""
        for record in self.instance.get_run_records(dg.RunsFilter(tags={API_TAG: "1"})):
            run = record.dagster_run
            job_id = run.tags.get(JOB_TAG)
            if not job_id:
                continue
            self._announced.add(job_id)
            if run.status in ACTIVE:
                end = self.instance.get_records_for_run(run.run_id, limit=1, ascending=False)
                self._runs[run.run_id] = self._track(run, job_id, end.cursor)
            else:
                self._done.append(run.run_id)
        self._since = datetime.now(UTC) - timedelta(seconds=5)
        self._thread = threading.Thread(target=self._loop, name="job-watcher", daemon=True)
        self._thread.start()

    def _track(self, run: dg.DagsterRun, job_id: str, cursor: str | None = None) -> _RunTrack:
        return _RunTrack(job_id, run.tags.get(KIND_TAG) == KIND_EXPORT,
                         preview_on(run, self.defaults), cursor,
                         rendering_only=run.tags.get(PREVIEW_TAG) == "1")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def announce(self, job: Job, again: bool = False) -> None:
        """``job_created`` for a job seen for the first time, or ``again`` (a new run of it)."""
        with self._lock:
            if job.id in self._announced and not again:
                return
            self._announced.add(job.id)
            self._state[job.id] = job.state.value
            self.events.publish("job_created", job.to_json())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # a storage hiccup must not end the event stream
                log.exception("job watcher tick failed")

    def tick(self) -> None:
        now = datetime.now(UTC)
        since = (self._since or now) - timedelta(seconds=5)
        self._since = now
        for record in self.instance.get_run_records(
                dg.RunsFilter(tags={API_TAG: "1"}, updated_after=since)):
            run = record.dagster_run
            job_id = run.tags.get(JOB_TAG)
            if job_id and run.run_id not in self._runs and run.run_id not in self._done:
                self._runs[run.run_id] = self._track(run, job_id)
        if not self._runs:
            return
        records = self.instance.get_run_records(dg.RunsFilter(run_ids=list(self._runs)))
        status = {r.dagster_run.run_id: r.dagster_run for r in records}
        for run_id, track in list(self._runs.items()):
            found = status.get(run_id)
            if found is None:  # deleted (run retention)
                del self._runs[run_id]
                continue
            run = found
            self._follow(run, track)
            if run.is_finished:
                del self._runs[run_id]
                self._done.append(run_id)

    def _follow(self, run: dg.DagsterRun, track: _RunTrack) -> None:
        conn = self.instance.get_records_for_run(run.run_id, cursor=track.cursor, of_type=WATCHED)
        track.cursor = conn.cursor
        job_id = track.job_id
        with self._lock:
            if job_id not in self._announced:
                job = self.get_job(job_id)
                if job is not None:
                    self.announce(job)
        for record in conn.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type
            if kind == ET.RUN_ENQUEUED and not track.export:
                self._set_state(job_id, JobState.PENDING, run.run_id)
            elif kind == ET.STEP_START and event.step_key:
                step = JobState.EXPORTING if track.export else \
                    shown_state(state_of_step(event.step_key), track.preview)
                track.stage = furthest(track.stage, step)
                self._set_state(job_id, track.stage, run.run_id)
            elif kind == ET.ASSET_MATERIALIZATION and entry.asset_materialization is not None:
                mat = entry.asset_materialization
                if mat.asset_key.to_user_string() == "speech_regions":
                    value = metadata_values(mat.metadata).get("speech_s")
                    track.speech_s = float(value) if isinstance(value, int | float) else None
            elif kind == ET.ASSET_OBSERVATION and entry.asset_observation is not None:
                done = metadata_values(entry.asset_observation.metadata).get(TRANSCRIBED_S)
                if isinstance(done, int | float):
                    self._publish_progress(job_id, run.run_id, float(done), track.speech_s)
            elif kind in (ET.RUN_SUCCESS, ET.RUN_FAILURE, ET.RUN_CANCELED):
                self._finish(job_id, run, track, kind, entry.message or "")

    def _set_state(self, job_id: str, state: JobState, run_id: str) -> None:
        with self._lock:
            if self._state.get(job_id) == state.value:
                return
            self._state[job_id] = state.value
            self.events.publish("job_state", {"id": job_id, "state": state.value,
                                              "run_id": run_id})

    def _publish_progress(self, job_id: str, run_id: str, done: float,
                          speech_s: float | None) -> None:
        with self._lock:
            if self._progress.get(job_id) == done:
                return
            self._progress[job_id] = done
            percent = 20.0 + 60.0 * min(1.0, done / speech_s) if speech_s else None
            self.events.publish("job_progress", {
                "id": job_id, "state": JobState.TRANSCRIBING.value, "run_id": run_id,
                "progress": {"transcribed_s": done, "speech_s": speech_s,
                             "percent": round(percent, 1) if percent is not None else None}})

    def _finish(self, job_id: str, run: dg.DagsterRun, track: _RunTrack,
                kind: dg.DagsterEventType, message: str) -> None:
        """The terminal event of the job's latest run (its status may lag the event)."""
        job = self.get_job(job_id)
        if job is None or job.run_id != run.run_id:  # an older run of the job ending
            return
        state = {ET.RUN_SUCCESS: JobState.COMPLETED, ET.RUN_FAILURE: JobState.FAILED,
                 ET.RUN_CANCELED: JobState.CANCELLED}[kind]
        if track.export and (state == JobState.CANCELLED
                             or (state == JobState.FAILED and job.export_error)):
            state = JobState.COMPLETED  # the subtitles from before the edit are still there
        data = job.to_json()
        data["state"] = state.value
        if state == JobState.FAILED and not data.get("error"):
            data["error"] = sanitize(message)
        if state != JobState.FAILED:
            data["error"] = None
        with self._lock:
            self._state[job_id] = state.value
            self._progress.pop(job_id, None)
            self.events.publish(TERMINAL_EVENT[state], data)
        if self.on_finished is not None and not track.rendering_only:
            # "export": the re-export after an edit ended
            self.on_finished({**data, "export": track.export})
