"""What a job is: its states, its options, its id, and the run tags that carry them.

A job is the run (or runs) that materialize one media partition with one set of options.
Its id is the media key when the options are the server's defaults, else the media key
plus ``-`` and 8 hex digits of a hash of the options that differ; so the same content with
the same options is always the same job.
"""

import hashlib
import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from typing import Any

from media_pipeline.settings import PipelineSettings, setting_specs
from media_pipeline.store.fingerprints import ASSETS

JOB_TAG = "media_pipeline/job"
KIND_TAG = "media_pipeline/kind"
NAME_TAG = "media_pipeline/name"
OPTIONS_TAG = "media_pipeline/options"
SETTINGS_TAG = "media_pipeline/settings"
API_TAG = "media_pipeline/api"

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


# The step (asset) being executed decides the state of a running job (the asset table).
STEP_STATE: dict[str, JobState] = {name: JobState(facts.state) for name, facts in ASSETS.items()}

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

#: The Whisper models a job may name: the bundled ones and faster-whisper's model names.
#: Names only: the server resolves a path as a folder on its own disk, and the error for a
#: folder that exists differs from one that does not, which would let any client map the
#: server's directories. A model folder is for the server's own settings (and the CLI).
WHISPER_MODEL_NAMES = (
    "tiny.en", "tiny", "base.en", "base", "small.en", "small", "medium.en", "medium",
    "large-v1", "large-v2", "large-v3", "large", "large-v3-turbo", "turbo",
    "distil-small.en", "distil-medium.en", "distil-large-v2", "distil-large-v3",
    "distil-large-v3.5", "auto")
#: A Demucs bag name or signature (htdemucs, mdx_extra_q, 955717e8): no dots, no slashes,
#: for the same reason (a .th/.yaml path would be looked up on the server's disk).
_SEPARATION_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: Whole-number options are counts, milliseconds and modes; anything wider is a mistake
#: (and would overflow the native code some of them reach).
INT_OPTION_RANGE = (-(2**31), 2**31 - 1)

#: The settings an API client may choose per job (``api=True`` in settings.py), by type.
API_SETTING_TYPES: dict[str, type] = {s.name: s.type for s in setting_specs() if s.api}
#: Every job option: those settings, then ``lyrics`` (reference lyrics, not a setting).
OPTION_NAMES: tuple[str, ...] = (*API_SETTING_TYPES, "lyrics")


class JobOptions:
    """What a client may choose per job: any API setting, and ``lyrics`` (plain text, for the
    lyrics alignment of the music stage). An option that is None or absent is the server's
    default. Immutable; read one as an attribute (``options.model``)."""

    __slots__ = ("_values",)
    _values: dict[str, Any]

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(OPTION_NAMES))
        if unknown:
            raise TypeError(f"unknown job option(s): {', '.join(unknown)}")
        values = {k: options[k] for k in OPTION_NAMES if options.get(k) is not None}
        for name, value in values.items():  # 5 for a float setting is 5.0, as from the API
            if API_SETTING_TYPES.get(name) is float and type(value) is int:
                values[name] = float(value)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        if name in OPTION_NAMES:
            return self._values.get(name)
        raise AttributeError(f"{type(self).__name__!r} has no option {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("JobOptions are immutable")

    def __getstate__(self) -> dict[str, Any]:
        return dict(self._values)

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(state))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobOptions) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"JobOptions({inner})"

    def explicit(self) -> dict[str, Any]:
        """The options given (not None), in ``OPTION_NAMES`` order."""
        return dict(self._values)

    def validate(self) -> None:
        """Raise ValueError with a user-facing message for an impossible option.

        The message never depends on the server's file system: models are names from a
        known set, not paths (see :data:`WHISPER_MODEL_NAMES`).
        """
        for name, value in self._values.items():
            _check_type(name, value)
        if self.language and not _LANGUAGE.match(self.language):
            raise ValueError("language must be an ISO 639 code such as 'en' or 'pt-BR'")
        if self.separation is not None and self.separation not in SEPARATION_MODES:
            raise ValueError(f"separation must be one of {', '.join(SEPARATION_MODES)}")
        if self.lyrics is not None and len(self.lyrics) > MAX_LYRICS_CHARS:
            raise ValueError(f"lyrics are limited to {MAX_LYRICS_CHARS} characters")
        if self.model is not None and self.model not in WHISPER_MODEL_NAMES:
            raise ValueError("model must be one of " + ", ".join(WHISPER_MODEL_NAMES))
        if self.task is not None and self.task not in ("transcribe", "translate"):
            raise ValueError("task must be transcribe or translate")
        if self.separation_model is not None and \
                not _SEPARATION_MODEL.match(self.separation_model):
            raise ValueError("separation_model must be a Demucs model name such as "
                             "'htdemucs' (letters, digits, '_' and '-')")


def _check_type(name: str, value: Any) -> None:
    kind = API_SETTING_TYPES.get(name, str)
    numeric = kind is float and type(value) is int
    if type(value) is not kind and not numeric:
        raise ValueError(f"{name} must be {_TYPE_WORDS.get(kind, kind.__name__)}")
    if kind is float and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    if kind is int and not INT_OPTION_RANGE[0] <= value <= INT_OPTION_RANGE[1]:
        raise ValueError(f"{name} must be between {INT_OPTION_RANGE[0]} and "
                         f"{INT_OPTION_RANGE[1]}")


_TYPE_WORDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
_SETTING_NAMES = {s.name for s in setting_specs()}


def resolve_settings(defaults: PipelineSettings, options: JobOptions) -> PipelineSettings:
    """``defaults`` with every option that is a pipeline setting applied."""
    changes = {k: v for k, v in options.explicit().items() if k in _SETTING_NAMES}
    return replace(defaults, **changes)


def differing_options(defaults: PipelineSettings, options: JobOptions) -> dict[str, Any]:
    """The options that make this job differ from one with the server's defaults."""
    return {k: v for k, v in options.explicit().items()
            if k not in _SETTING_NAMES or getattr(defaults, k) != v}


def job_id_for(media_key: str, defaults: PipelineSettings, options: JobOptions) -> str:
    """The media key, plus ``-`` and a hash of the options that differ from the defaults."""
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
    export_error: str | None = None
    """Why the latest re-export after an edit failed (the job stays completed)."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state.value, "progress": self.progress.to_json(),
                "error": self.error, "export_error": self.export_error,
                "outputs": self.outputs, "media_key": self.media_key,
                "name": self.name, "options": self.options,
                "created_at": round(self.created_at, 3), "updated_at": round(self.updated_at, 3),
                "run_id": self.run_id, "runs": self.runs}
