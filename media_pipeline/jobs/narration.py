"""Narration jobs over the Dagster instance: create, status, audio, metadata, cleanup.

A job is a ``narration`` partition; its state is derived, never stored twice:

- COMPLETED  the subtitles (last asset) are sealed: audio, timings and SRT/VTT exist;
- FAILED     the latest run for the partition failed or was cancelled (its error is the
             ``dg.Failure`` description the asset raised: seed 003's user message);
- IN_PROGRESS the latest run is running and has recorded chunk progress;
- PENDING    no run yet, or a run that is queued or waiting for a ``narration`` pool slot.
"""

import os
import socket
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.automation.narration_cleanup import (
    HOST_TAG,
    INTERRUPTED_TAG,
    PID_TAG,
    cleanup_old_narrations,
    reap_if_orphaned,
    reap_orphaned_runs,
)
from media_pipeline.errors import MediaPipelineError
from media_pipeline.partitions import (
    ACTIVE,
    NARRATION_JOB,
    NARRATION_PARTITIONS_NAME,
    PARTITION_TAG,
)
from media_pipeline.resources.tts_providers import ProviderConfig, build_provider, resolve_voice
from media_pipeline.settings import NarrationSettings
from media_pipeline.stages.narration import subtitle_paths
from media_pipeline.store.narration import (
    SEAL,
    NarrationNotFoundError,
    NarrationRequest,
    NarrationStore,
)
from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.errors import UNEXPECTED_MESSAGE, NarrationInputError
from media_pipeline.tts.manager import canonical_text

INTERRUPTED_MESSAGE = "The narration was interrupted; request it again"
MISSING_MESSAGE = "The narration's files are missing; request it again"



class NarrationStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class NarrationNotCompletedError(MediaPipelineError):
    """Audio or timings were asked for before the narration completed."""

    def __init__(self, key: str, status: NarrationStatus) -> None:
        super().__init__(f"Narration is not completed (status: {status.value})")
        self.key = key
        self.status = status


@dataclass
class NarrationJob:
    """One narration as users see it (the seed's ``GenerationJob``)."""

    id: str
    status: NarrationStatus
    voice: str
    speed: float
    provider: str
    text_chars: int
    created_at: float
    completed_chunks: int = 0
    total_chunks: int = 0
    error: str | None = None
    run_id: str | None = None
    completed_at: float | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    round_trip: dict[str, Any] | None = None

    @property
    def progress(self) -> float:
        return self.completed_chunks / self.total_chunks if self.total_chunks else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.id, "status": self.status.value,
                "voice": self.voice, "speed": self.speed, "provider": self.provider,
                "text_chars": self.text_chars, "created_at": self.created_at,
                "completed_at": self.completed_at, "completed_chunks": self.completed_chunks,
                "total_chunks": self.total_chunks, "progress": round(self.progress, 4),
                "error": self.error, "run_id": self.run_id, "outputs": self.outputs,
                "round_trip": self.round_trip}


def run_tags() -> dict[str, str]:
    """Tags naming the process that runs a narration in-process (to spot orphaned runs)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


class NarrationJobs:
    """The seed's JobStore + JobManager (minus processing) on a Dagster instance."""

    def __init__(self, instance: dg.DagsterInstance, store: NarrationStore,
                 settings: NarrationSettings, providers: ProviderConfig) -> None:
        self.instance = instance
        self.store = store
        self.settings = settings
        self.providers = providers

    # -- create ----------------------------------------------------------------------------
    def prepare(self, text: str, voice: str | None = None, speed: float | None = None,
                provider: str | None = None) -> NarrationRequest:
        """A validated request with defaults filled in (provider configured, voice known)."""
        text = canonical_text(text)
        if not word_spans(text):
            raise NarrationInputError("Text is empty" if not text else "Text has no words")
        if len(text) > self.settings.max_text_chars:
            raise NarrationInputError(
                f"Text is longer than {self.settings.max_text_chars} characters")
        name = provider or self.settings.provider
        engine = build_provider(name, self.providers)
        chosen = resolve_voice(engine, voice or self.settings.voice)
        caps = engine.capabilities
        if caps.voices and chosen not in caps.voices:
            raise NarrationInputError(
                f"Unknown voice {chosen!r} for {name}; known: {', '.join(caps.voices)}")
        rate = self.settings.speed if speed is None else float(speed)
        low, high = (caps.min_speed, caps.max_speed) if caps.supports_speed else (1.0, 1.0)
        if not low <= rate <= high:
            raise NarrationInputError(f"Speed must be between {low:g} and {high:g} for {name}")
        return NarrationRequest.new(text, chosen, rate, name)

    def create_job(self, text: str, voice: str | None = None, speed: float | None = None,
                   provider: str | None = None,
                   now: float | None = None) -> tuple[NarrationJob, bool]:
        """The job for this request and whether it is new; the same request is one job."""
        request = self.prepare(text, voice, speed, provider)
        key = request.key
        created = True
        try:
            old = self.store.load_request(key)
            created = False
            request = NarrationRequest(old.text, old.voice, old.speed, old.provider,
                                       old.created_at, request.requested_at if now is None
                                       else now)
        except NarrationNotFoundError:
            if now is not None:
                request = NarrationRequest(request.text, request.voice, request.speed,
                                           request.provider, now, now)
        self.store.save_request(request)  # before the partition: assets read it by key
        if not self.instance.has_dynamic_partition(NARRATION_PARTITIONS_NAME, key):
            self.instance.add_dynamic_partitions(NARRATION_PARTITIONS_NAME, [key])
        return self.get_job_status(key), created

    # -- read ------------------------------------------------------------------------------
    def latest_run(self, key: str) -> dg.RunRecord | None:
        records = self.instance.get_run_records(
            dg.RunsFilter(job_name=NARRATION_JOB, tags={PARTITION_TAG: key}), limit=1)
        return records[0] if records else None

    def is_running(self, key: str) -> bool:
        """True while a run for ``key`` is queued or in flight."""
        record = self.latest_run(key)
        if record is None:
            return False
        return reap_if_orphaned(self.instance, record.dagster_run).status in ACTIVE

    def get_job_status(self, key: str) -> NarrationJob:
        """The job's state now; ``NarrationNotFoundError`` for an unknown id."""
        request = self.store.load_request(key)
        job = NarrationJob(key, NarrationStatus.PENDING, request.voice, request.speed,
                           request.provider, len(request.text), request.created_at)
        record = self.latest_run(key)
        run = None if record is None else reap_if_orphaned(self.instance, record.dagster_run)
        # Asked for again after its last run ended: waiting for a new run, not failed.
        rerequested = record is not None and (
            request.requested_at > record.create_timestamp.timestamp())
        if run is not None:
            job.run_id = run.run_id
        seal = self.store.read_json(key, SEAL)
        progress = self.store.read_progress(key)
        if progress is not None and (run is None or progress.run_id == run.run_id
                                     or seal is not None):
            job.completed_chunks, job.total_chunks = (progress.completed_chunks,
                                                      progress.total_chunks)
        if seal is not None and self._outputs_exist(key):
            job.status = NarrationStatus.COMPLETED
            job.completed_at = float(seal.get("at", 0.0)) or None
            job.outputs = {k: str(v) for k, v in self.outputs(key).items()}
            job.completed_chunks = job.total_chunks = max(job.total_chunks,
                                                          int(seal.get("total_chunks", 0)))
            job.round_trip = self.store.read_json(key, "round_trip.json")
            if job.round_trip is not None:
                job.round_trip.pop("hypothesis", None)
        elif run is None or run.status in ACTIVE or rerequested:
            started = run is not None and run.status == dg.DagsterRunStatus.STARTED
            has_progress = progress is not None and progress.run_id == job.run_id
            job.status = (NarrationStatus.IN_PROGRESS if started and has_progress
                          else NarrationStatus.PENDING)
        else:
            job.status = NarrationStatus.FAILED
            job.error = (MISSING_MESSAGE if run.status == dg.DagsterRunStatus.SUCCESS
                         else self.run_error(run))
        return job

    def list_jobs(self) -> list[NarrationJob]:
        return [self.get_job_status(key) for key in self.store.list_keys()]

    def outputs(self, key: str) -> dict[str, Path]:
        return {"mp3": self.store.audio_path(key),
                "timings": self.store.path(key, "timings.json"),
                **subtitle_paths(self.store, key)}

    def _outputs_exist(self, key: str) -> bool:
        return all(p.exists() for p in self.outputs(key).values())

    def run_error(self, run: dg.DagsterRun) -> str:
        """The user message of the run's first failed step (never a traceback)."""
        if run.status == dg.DagsterRunStatus.CANCELED:
            return "The narration was cancelled"
        for entry in self.instance.all_logs(run.run_id,
                                            of_type=dg.DagsterEventType.STEP_FAILURE):
            event = entry.dagster_event
            data = event.step_failure_data if event is not None else None
            failure = data.user_failure_data if data is not None else None
            if failure is not None and failure.description:
                return str(failure.description)
        if run.tags.get(INTERRUPTED_TAG):
            return INTERRUPTED_MESSAGE
        return UNEXPECTED_MESSAGE

    def reap_orphaned_runs(self) -> int:
        """Fail in-flight narration runs whose process is gone (see automation)."""
        return reap_orphaned_runs(self.instance)

    def get_audio_file_path(self, key: str) -> Path:
        """The MP3 of a completed narration (``NarrationNotCompletedError`` otherwise)."""
        job = self.get_job_status(key)
        if job.status != NarrationStatus.COMPLETED:
            raise NarrationNotCompletedError(key, job.status)
        return self.store.audio_path(key)

    def get_audio_metadata(self, key: str) -> dict[str, Any]:
        """Duration, sample rate and word/sentence timings of a completed narration."""
        job = self.get_job_status(key)
        if job.status != NarrationStatus.COMPLETED:
            raise NarrationNotCompletedError(key, job.status)
        document = self.store.read_json(key, "timings.json") or {}
        return {**document, "voice": job.voice, "speed": job.speed, "provider": job.provider,
                "round_trip": job.round_trip}

    def cleanup_old_jobs(self, max_age_hours: float | None = None,
                         now: float | None = None) -> int:
        """The seed's cleanup_old_jobs (see ``automation/narration_cleanup.py``)."""
        hours = self.settings.max_age_hours if max_age_hours is None else max_age_hours
        return cleanup_old_narrations(self.instance, self.store, hours, now)
