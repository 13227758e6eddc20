"""A job's state, progress, error and artifacts, read from its runs in the Dagster instance."""

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from media_pipeline.assets.observe import TRANSCRIBED_S
from media_pipeline.jobs.model import (
    JOB_TAG,
    KIND_EXPORT,
    KIND_TAG,
    NAME_TAG,
    OPTIONS_TAG,
    SETTINGS_TAG,
    STATE_PERCENT,
    Job,
    JobState,
    Progress,
    furthest,
    media_key_of_job,
    settings_from_tag,
    state_of_step,
)
from media_pipeline.partitions import PARTITION_TAG, PENDING
from media_pipeline.settings import PipelineSettings

ET = dg.DagsterEventType
RUN_EVENT_TYPES = {ET.STEP_START, ET.STEP_SUCCESS, ET.STEP_FAILURE, ET.ASSET_OBSERVATION,
                   ET.ASSET_MATERIALIZATION, ET.RUN_FAILURE, ET.RUN_CANCELED}


@dataclass
class RunFacts:
    """What a run's event log says: current step, progress, artifacts, first error."""

    stage: JobState | None = None
    """The furthest stage a started step belongs to (None before the first step)."""
    transcribed_s: float | None = None
    materialized: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def metadata_values(metadata: Any) -> dict[str, Any]:
    return {k: getattr(v, "value", v) for k, v in (metadata or {}).items()}


def read_run_facts(instance: dg.DagsterInstance, run_id: str) -> RunFacts:
    facts = RunFacts()
    running: list[str] = []
    records = instance.get_records_for_run(run_id, of_type=RUN_EVENT_TYPES).records
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == ET.STEP_START and event.step_key:
            running.append(event.step_key)
            facts.stage = furthest(facts.stage, state_of_step(event.step_key))
        elif kind in (ET.STEP_SUCCESS, ET.STEP_FAILURE) and event.step_key in running:
            running.remove(event.step_key)
            if kind == ET.STEP_FAILURE and facts.error is None:
                facts.error = step_failure_message(event)
        elif kind == ET.ASSET_OBSERVATION and entry.asset_observation is not None:
            value = metadata_values(entry.asset_observation.metadata).get(TRANSCRIBED_S)
            if value is not None:
                facts.transcribed_s = float(value)
        elif kind == ET.ASSET_MATERIALIZATION and entry.asset_materialization is not None:
            mat = entry.asset_materialization
            facts.materialized[mat.asset_key.to_user_string()] = metadata_values(mat.metadata)
        elif kind in (ET.RUN_FAILURE, ET.RUN_CANCELED) and facts.error is None:
            facts.error = sanitize(entry.message or "")
    return facts


def step_failure_message(event: dg.DagsterEvent) -> str:
    data = event.step_failure_data
    text = ""
    if data.user_failure_data is not None and data.user_failure_data.description:
        text = data.user_failure_data.description
    elif data.error is not None:
        text = data.error.message
    text = re.sub(r"^[0-9a-f]{16}: ", "", sanitize(text))
    step = (event.step_key or "").split(".")[-1]
    return f"{step}: {text}"[:240] if step else text


_EXC_PREFIX = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception|Failure|Interrupt)\w*:\s*")
_PATH = re.compile(r"(?:/[^\s/'\"():,]+)+/([^\s/'\"():,]+)")
_SECRET = re.compile(r"(?i)(bearer\s+|api[_-]?key[=:]\s*|token[=:]\s*)\S+")


def sanitize(message: str) -> str:
    """One short line for users: no traceback, exception class, directories or secrets."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    text = lines[0] if lines else "the job failed"
    text = _EXC_PREFIX.sub("", text)
    text = _PATH.sub(r"\1", text)
    text = _SECRET.sub(r"\1***", text)
    return text[:240]


class FactsCache:
    """Facts of finished runs never change: read them once, keep the newest ``capacity``
    (MAX_FINISHED_JOBS bounds what the server holds in memory, never the history)."""

    def __init__(self, instance: dg.DagsterInstance, capacity: int = 200) -> None:
        self.instance = instance
        self.capacity = max(1, capacity)
        self._done: OrderedDict[str, RunFacts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, record: dg.RunRecord) -> RunFacts:
        run = record.dagster_run
        with self._lock:
            cached = self._done.get(run.run_id)
            if cached is not None:
                self._done.move_to_end(run.run_id)
                return cached
        facts = read_run_facts(self.instance, run.run_id)
        if run.is_finished:
            with self._lock:
                self._done[run.run_id] = facts
                while len(self._done) > self.capacity:
                    self._done.popitem(last=False)
        return facts


def derive_job(job_id: str, records: Sequence[dg.RunRecord], facts: FactsCache,
               defaults: PipelineSettings) -> Job | None:
    """The job made of ``records`` (newest first); None when it has no run left."""
    if not records:
        return None
    latest = records[0]
    run = latest.dagster_run
    tags = run.tags
    process_runs = [r for r in records if r.dagster_run.tags.get(KIND_TAG) != KIND_EXPORT]
    origin = (process_runs or list(records))[0].dagster_run.tags
    job = Job(
        id=job_id, media_key=tags.get(PARTITION_TAG) or media_key_of_job(job_id),
        name=origin.get(NAME_TAG, ""), state=JobState.PENDING,
        options=json.loads(origin.get(OPTIONS_TAG) or "{}"),
        created_at=min(r.create_timestamp.timestamp() for r in records),
        updated_at=latest.update_timestamp.timestamp(), run_id=run.run_id, runs=len(records),
        settings=settings_from_tag(origin.get(SETTINGS_TAG), defaults))
    for record in reversed(records):  # oldest first: later runs overwrite
        if record.dagster_run.status == dg.DagsterRunStatus.SUCCESS:
            for asset, md in facts.get(record).materialized.items():
                if md.get("fingerprint"):
                    job.fingerprints[asset] = str(md["fingerprint"])
    latest_facts = facts.get(latest)
    job.state = shown_state(_state(run, latest_facts), preview_on(run, defaults))
    if job.state == JobState.FAILED and tags.get(KIND_TAG) == KIND_EXPORT \
            and "subtitles" in job.fingerprints:
        # A re-export after an edit failed: the job's subtitles from before are still
        # there and its edits stay undoable, so it is completed, with the failure beside it.
        job.state = JobState.COMPLETED
        job.export_error = latest_facts.error or "the re-export failed"
    job.error = latest_facts.error if job.state == JobState.FAILED else None
    if job.state == JobState.FAILED and not job.error:
        job.error = "the run failed"
    job.progress = _progress(job.state, latest_facts, records, facts)
    return job


def preview_on(run: dg.DagsterRun, defaults: PipelineSettings) -> bool:
    """Whether ``run`` renders a preview (its settings tag, else the server's defaults)."""
    return bool(settings_from_tag(run.tags.get(SETTINGS_TAG), defaults).preview)


def shown_state(state: JobState, preview: bool) -> JobState:
    """The ``preview`` step runs even with preview off (it writes a marker and passes the
    job through): a job then never shows ``rendering_preview``, it is still exporting."""
    if state == JobState.RENDERING_PREVIEW and not preview:
        return JobState.EXPORTING
    return state


def _state(run: dg.DagsterRun, facts: RunFacts) -> JobState:
    status = run.status
    export = run.tags.get(KIND_TAG) == KIND_EXPORT
    if status == dg.DagsterRunStatus.SUCCESS:
        return JobState.COMPLETED
    if status == dg.DagsterRunStatus.FAILURE:
        return JobState.FAILED
    if status == dg.DagsterRunStatus.CANCELED:
        return JobState.COMPLETED if export else JobState.CANCELLED
    if export:
        return JobState.EXPORTING
    if status in PENDING or facts.stage is None:
        return JobState.PENDING
    return facts.stage


def _progress(state: JobState, facts: RunFacts, records: Sequence[dg.RunRecord],
              cache: FactsCache) -> Progress:
    progress = Progress(percent=STATE_PERCENT[state])
    source = facts.materialized.get("source_media", {})
    regions = facts.materialized.get("speech_regions", {})
    if "duration_s" in source:
        progress.duration_s = _num(source["duration_s"])
    if "speech_s" in regions:
        progress.speech_s = _num(regions["speech_s"])
    if state == JobState.TRANSCRIBING:
        progress.transcribed_s = facts.transcribed_s or 0.0
        if progress.speech_s:
            share = min(1.0, progress.transcribed_s / progress.speech_s)
            progress.percent = 20.0 + 60.0 * share
    elif state == JobState.CANCELLED or state == JobState.FAILED:
        progress.percent = 100.0
    elif STATE_PERCENT[state] > STATE_PERCENT[JobState.TRANSCRIBING] and progress.speech_s:
        progress.transcribed_s = progress.speech_s
    return progress


def _num(value: Any) -> float | None:
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return None


def job_id_of(record: dg.RunRecord) -> str | None:
    return record.dagster_run.tags.get(JOB_TAG)
