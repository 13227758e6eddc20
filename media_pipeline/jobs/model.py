"""What a job is: its states, its options, its id, and the run tags that carry them.

A job is the run (or runs) that materialize one media partition with one set of options.
Its id is the media key when the options are the server's defaults, else the media key
plus ``-`` and 8 hex digits of a hash of the options that differ; so the same content with
the same options is always the same job.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from media_pipeline.settings import PipelineSettings

JOB_TAG = "media_pipeline/job"
KIND_TAG = "media_pipeline/kind"
NAME_TAG = "media_pipeline/name"
OPTIONS_TAG = "media_pipeline/options"
SETTINGS_TAG = "media_pipeline/settings"
API_TAG = "media_pipeline/api"
PARTITION_TAG = "dagster/partition"

KIND_PROCESS = "process"
KIND_EXPORT = "export"


class JobState(StrEnum):
    PENDING = "pending"
    PREPROCESSING = "preprocessing"
    TRANSCRIBING = "transcribing"
    REFINING = "refining"
    EXPORTING = "exporting"
    RENDERING_PREVIEW = "rendering_preview"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


# The step (asset) being executed decides the state of a running job.
STEP_STATE: dict[str, JobState] = {
    "source_media": JobState.PREPROCESSING,
    "vocals": JobState.PREPROCESSING,
    "speech_audio": JobState.PREPROCESSING,
    "speech_regions": JobState.PREPROCESSING,
    "transcript": JobState.TRANSCRIBING,
    "cues": JobState.REFINING,
    "corrected_cues": JobState.REFINING,
    "edited_cues": JobState.REFINING,
    "subtitles": JobState.EXPORTING,
    "confidence_report": JobState.EXPORTING,
    "waveform": JobState.EXPORTING,
    "preview": JobState.RENDERING_PREVIEW,
    "library_entry": JobState.EXPORTING,
}

# Rough share of a job's work done when each state starts (for ``progress.percent``).
STATE_PERCENT: dict[JobState, float] = {
    JobState.PENDING: 0.0, JobState.PREPROCESSING: 5.0, JobState.TRANSCRIBING: 20.0,
    JobState.REFINING: 80.0, JobState.EXPORTING: 90.0, JobState.RENDERING_PREVIEW: 95.0,
    JobState.COMPLETED: 100.0, JobState.FAILED: 100.0, JobState.CANCELLED: 100.0,
}


STAGES = [JobState.PENDING, JobState.PREPROCESSING, JobState.TRANSCRIBING, JobState.REFINING,
          JobState.EXPORTING, JobState.RENDERING_PREVIEW]


def furthest(a: JobState | None, b: JobState) -> JobState:
    """The later of two stages: steps of different stages may interleave, the state does not
    go back (a report of the exporting stage may run before the last refining step)."""
    if a is None or STAGES.index(b) > STAGES.index(a):
        return b
    return a


def state_of_step(step_key: str) -> JobState:
    """The job state while ``step_key`` runs (asset checks count as exporting)."""
    name = step_key.split(".")[-1]
    return STEP_STATE.get(name, JobState.EXPORTING)


_LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z]{2,4})?$")
SEPARATION_MODES = ("off", "on", "auto")
MAX_LYRICS_CHARS = 100_000


@dataclass(frozen=True)
class JobOptions:
    """What a client may choose per job; None means the server's default."""

    language: str | None = None
    model: str | None = None
    profile: str | None = None
    separation: str | None = None
    lyrics: str | None = None
    """Reference lyrics (plain text), for the lyrics alignment of the music stage."""
    preview: bool | None = None

    def explicit(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}

    def validate(self) -> None:
        """Raise ValueError with a user-facing message for an impossible option."""
        if self.language is not None and self.language and not _LANGUAGE.match(self.language):
            raise ValueError("language must be an ISO 639 code such as 'en' or 'pt-BR'")
        if self.separation is not None and self.separation not in SEPARATION_MODES:
            raise ValueError(f"separation must be one of {', '.join(SEPARATION_MODES)}")
        if self.lyrics is not None and len(self.lyrics) > MAX_LYRICS_CHARS:
            raise ValueError(f"lyrics are limited to {MAX_LYRICS_CHARS} characters")
        if self.model is not None and not self.model.strip():
            raise ValueError("model cannot be empty")


_SETTING_NAMES = {f.name for f in fields(PipelineSettings)}


def resolve_settings(defaults: PipelineSettings, options: JobOptions) -> PipelineSettings:
    """``defaults`` with every option that is a pipeline setting applied."""
    changes = {k: v for k, v in options.explicit().items() if k in _SETTING_NAMES}
    return replace(defaults, **changes)


def differing_options(defaults: PipelineSettings, options: JobOptions) -> dict[str, Any]:
    """The options that make this job differ from one with the server's defaults."""
    return {k: v for k, v in options.explicit().items()
            if k not in _SETTING_NAMES or getattr(defaults, k) != v}


def job_id_for(media_key: str, defaults: PipelineSettings, options: JobOptions) -> str:
    diff = differing_options(defaults, options)
    if not diff:
        return media_key
    digest = hashlib.sha256(json.dumps(diff, sort_keys=True).encode()).hexdigest()[:8]
    return f"{media_key}-{digest}"


def media_key_of_job(job_id: str) -> str:
    return job_id.split("-", 1)[0]


_JOB_ID = re.compile(r"^[0-9a-f]{16}(-[0-9a-f]{8})?$")


def valid_job_id(job_id: str) -> bool:
    return bool(_JOB_ID.match(job_id))


def settings_to_tag(settings: PipelineSettings) -> str:
    return json.dumps({f.name: getattr(settings, f.name) for f in fields(settings)},
                      sort_keys=True, separators=(",", ":"))


def settings_from_tag(text: str | None, defaults: PipelineSettings) -> PipelineSettings:
    """Settings stored on a run (unknown names from older versions are ignored)."""
    if not text:
        return defaults
    data = json.loads(text)
    return replace(defaults, **{k: v for k, v in data.items() if k in _SETTING_NAMES})


@dataclass
class Progress:
    percent: float = 0.0
    transcribed_s: float | None = None
    """Seconds of speech transcribed so far (on the speech-only timeline)."""
    speech_s: float | None = None
    """Seconds of speech the transcription covers in all."""
    duration_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"percent": round(self.percent, 1), "transcribed_s": self.transcribed_s,
                "speech_s": self.speech_s, "duration_s": self.duration_s}


@dataclass
class Job:
    """A job as the API shows it."""

    id: str
    media_key: str
    name: str
    state: JobState
    progress: Progress = field(default_factory=Progress)
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0
    run_id: str | None = None
    runs: int = 0
    fingerprints: dict[str, str] = field(default_factory=dict)
    """Artifact fingerprints of the job's latest successful run (for outputs and edits)."""
    settings: PipelineSettings | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state.value, "progress": self.progress.to_json(),
                "error": self.error, "outputs": self.outputs, "media_key": self.media_key,
                "name": self.name, "options": self.options,
                "created_at": round(self.created_at, 3), "updated_at": round(self.updated_at, 3),
                "run_id": self.run_id, "runs": self.runs}
