"""Every setting in one place: typed defaults, overridable from the environment.

The Dagster resource in ``resources/pipeline.py`` carries the same fields so a run can
override them in run config; nothing else in the package reads ``os.environ``.
"""

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "MEDIA_PIPELINE_"


@dataclass(frozen=True)
class PipelineSettings:
    """Settings that change what the subtitle assets produce (they enter fingerprints)."""

    model: str = "tiny.en"
    """``tiny.en`` (bundled), ``base`` (bundled multilingual), a CTranslate2 dir, or a name."""
    language: str = ""
    """ISO code, or empty for auto-detection (English-only models always give ``en``)."""
    beam_size: int = 5
    device: str = "cpu"
    """``cpu``, ``cuda`` or ``auto``."""
    compute_type: str = "int8"
    cpu_threads: int = 0
    """0 means every core."""
    lufs_target: float = -20.0
    vad_aggressiveness: int = 3
    """webrtcvad mode 0 (keeps most) .. 3 (most aggressive)."""
    vad_frame_ms: int = 30
    vad_padding_ms: int = 300
    vad_min_silence_ms: int = 500
    vad_energy_gate_db: float = 4.0
    """Frames must be this far above the file's noise floor; 0 disables the gate."""
    vad_confirm_silero: int = 0
    """1: Silero (bundled with faster-whisper) must confirm webrtcvad's speech (noisy radio)."""
    profile: str = "netflix-en"
    separation: str = "off"
    """``off``, ``on`` or ``auto`` (Demucs vocal isolation; ``auto``: when the audio is music)."""
    separation_model: str = "htdemucs"
    """Demucs bag name or signature, or a path to a ``.th``/``.safetensors``/``.yaml`` file."""
    separation_models_dir: str = ""
    """Folder of Demucs weights (``<sig>-<checksum>.th``); empty: ``<data root>/models/demucs``."""
    separation_threads: int = 0
    """torch threads for Demucs; 0 keeps torch's default (every core)."""
    separation_segment_s: float = 30.0
    """Seconds of audio separated at once (memory stays bounded whatever the file's length)."""
    beat_snap: str = "auto"
    """``off``, ``on`` or ``auto`` (songs: lyrics given, or music per the separation heuristic)."""
    beat_snap_tolerance_beats: float = 0.25
    """A cue boundary moves to a beat at most this share of a beat away..."""
    beat_snap_max_ms: int = 120
    """...and at most this many milliseconds away."""
    min_word_probability: float = 0.5
    """Words below this are listed in the confidence report."""
    quote_style: str = ""
    """``straight``, ``typographic`` or ``keep``; empty takes the profile's own style."""
    custom_max_chars_per_line: int = 42
    """The ``custom`` profile's numbers (ignored by the named profiles)."""
    custom_max_lines: int = 2
    custom_min_duration_ms: int = 834
    custom_max_duration_ms: int = 7000
    custom_max_cps: float = 20.0
    custom_frame_rate: float = 24.0
    custom_min_gap_frames: int = 2
    correction_enabled: bool = False
    """AI correction of cue text (off by default); the key comes from the environment."""
    correction_base_url: str = "https://api.mistral.ai/v1"
    """Mistral's API, or any OpenAI-compatible server (llama.cpp, vLLM)."""
    correction_model: str = "mistral-small-latest"
    correction_max_edit_ratio: float = 0.3
    """Largest accepted character edit distance of a correction, relative to the cue text."""
    preview: bool = False
    """Render an MP4 preview with the subtitles burned in (off by default)."""
    preview_seconds: float = 30.0


@dataclass(frozen=True)
class RuntimeSettings:
    """Where things live and how work is batched; these never change an artifact."""

    data_dir: Path = field(default_factory=lambda: Path("data"))
    inbox_dir: Path | None = None
    max_partitions_per_run: int = 64
    library_lock_timeout_s: float = 30.0
    # Jobs and the API (issue 6); the seed's names are MAX_MEDIA_JOBS, MAX_PENDING_MEDIA_JOBS,
    # MAX_FINISHED_JOBS; the rest are MEDIA_PIPELINE_<FIELD>.
    max_concurrent_runs: int = 2
    """Runs in progress at once (the seed's max_workers); 0 pauses launching."""
    max_media_jobs: int = 1
    """Limit of the ``media`` pool (ffmpeg/Demucs-heavy steps)."""
    max_pending_media_jobs: int = 3
    """Queued runs beyond which ``POST /api/jobs`` answers 429."""
    max_finished_jobs: int = 200
    """Finished runs kept in the Dagster instance (older ones are deleted)."""
    api_token: str | None = None
    """Bearer token the API requires when set (``MEDIA_PIPELINE_API_TOKEN``)."""
    max_upload_mb: int = 2048
    library_root: Path | None = None
    """Folder that ``POST /api/jobs {"path": …}`` may read from (default: ``<data>/library``)."""
    reprocess_cron: str = "0 3 * * *"
    reprocess_max_queued: int = 2
    """Stale reprocessing never lets the run queue hold more than this many runs."""
    cancel_grace_s: float = 3.0
    """After a cancel, a run still alive this long is killed."""
    dagster_postgres_url: str | None = None
    """PostgreSQL URL for the Dagster instance's storage (runs, events, schedules) instead of
    SQLite under the data root: a shared deployment. ``MEDIA_PIPELINE_DAGSTER_POSTGRES_URL``;
    the generated dagster.yaml names the variable, never the URL (it may hold a password)."""

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def library_path(self) -> Path:
        return self.data_dir / "library.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"


def _coerce(value: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    return value


def pipeline_settings_from_env(env: dict[str, str] | None = None) -> PipelineSettings:
    """Defaults overridden by ``MEDIA_PIPELINE_<FIELD>`` environment variables."""
    env = dict(os.environ) if env is None else env
    base = PipelineSettings()
    changes: dict[str, Any] = {}
    for f in fields(PipelineSettings):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is not None:
            changes[f.name] = _coerce(raw, f.type)
    return replace(base, **changes)


POSTGRES_URL_ENV = ENV_PREFIX + "DAGSTER_POSTGRES_URL"


def runtime_settings_from_env(
    data_dir: str | Path | None = None, env: dict[str, str] | None = None
) -> RuntimeSettings:
    """The data root is ``data_dir``, else ``MEDIA_PIPELINE_DATA_DIR``, else ``./data``."""
    env = dict(os.environ) if env is None else env
    root = Path(data_dir or env.get(ENV_PREFIX + "DATA_DIR") or "data").resolve()
    inbox = env.get(ENV_PREFIX + "INBOX_DIR")
    per_run = int(env.get(ENV_PREFIX + "MAX_PARTITIONS_PER_RUN", "64"))
    base = RuntimeSettings()
    library_root = env.get(ENV_PREFIX + "LIBRARY_ROOT")

    def num(name: str, default: float, seed_name: str | None = None) -> Any:
        raw = env.get(seed_name or "") or env.get(ENV_PREFIX + name)
        return type(default)(raw) if raw not in (None, "") else default

    return RuntimeSettings(
        data_dir=root, inbox_dir=Path(inbox).resolve() if inbox else None,
        max_partitions_per_run=per_run,
        max_concurrent_runs=num("MAX_CONCURRENT_RUNS", base.max_concurrent_runs),
        max_media_jobs=num("MAX_MEDIA_JOBS", base.max_media_jobs, "MAX_MEDIA_JOBS"),
        max_pending_media_jobs=num("MAX_PENDING_MEDIA_JOBS", base.max_pending_media_jobs,
                                   "MAX_PENDING_MEDIA_JOBS"),
        max_finished_jobs=num("MAX_FINISHED_JOBS", base.max_finished_jobs, "MAX_FINISHED_JOBS"),
        api_token=env.get(ENV_PREFIX + "API_TOKEN") or None,
        max_upload_mb=num("MAX_UPLOAD_MB", base.max_upload_mb),
        library_root=Path(library_root).resolve() if library_root else None,
        reprocess_cron=env.get(ENV_PREFIX + "REPROCESS_CRON") or base.reprocess_cron,
        reprocess_max_queued=num("REPROCESS_MAX_QUEUED", base.reprocess_max_queued),
        cancel_grace_s=num("CANCEL_GRACE_S", base.cancel_grace_s),
        dagster_postgres_url=env.get(POSTGRES_URL_ENV) or None,
    )


def settings_dict(settings: PipelineSettings) -> dict[str, Any]:
    """Plain dict of pipeline settings (for run config and metadata)."""
    return asdict(settings)


def correction_api_key(env: dict[str, str] | None = None) -> str | None:
    """The AI correction key: ``MEDIA_PIPELINE_CORRECTION_API_KEY``, else ``MISTRAL_API_KEY``.

    Never part of the settings (it would enter fingerprints and metadata).
    """
    env = dict(os.environ) if env is None else env
    return env.get(ENV_PREFIX + "CORRECTION_API_KEY") or env.get("MISTRAL_API_KEY") or None


@dataclass(frozen=True)
class NarrationSettings:
    """Text-to-speech defaults and limits, from ``MEDIA_PIPELINE_NARRATION_<FIELD>``.

    ``audio_storage_dir`` is read from ``MEDIA_PIPELINE_AUDIO_STORAGE_DIR`` or the seed's
    ``AUDIO_STORAGE_DIR``. A network provider's key is never stored here, only its variable name.
    """

    audio_storage_dir: Path | None = None
    """Where ``{job_id}.mp3`` files are kept; None means ``<data root>/audio``."""
    provider: str = "piper"
    voice: str = ""
    """Empty: the provider's first voice (Piper: ``en_US-joe-medium``)."""
    speed: float = 1.0
    pool_limit: int = 1
    """Narrations synthesizing at once (Dagster pool ``narration``); 0 leaves the instance's."""
    max_age_hours: float = 24.0
    """``cleanup_old_jobs`` deletes narrations last requested longer ago than this."""
    cleanup_cron: str = "0 * * * *"
    max_text_chars: int = 100_000
    profile: str = "netflix-en"
    """Segmentation profile of the narration's SRT/VTT."""
    round_trip_check: bool = True
    """Transcribe each narration back (asset check) and compare with its text."""
    round_trip_model: str = "tiny.en"
    max_round_trip_wer: float = 0.10
    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_api_key_env: str = "ELEVENLABS_API_KEY"
    """Name of the environment variable holding the key (the provider is off when unset)."""
    elevenlabs_voices: str = ""
    """Comma-separated voice ids accepted (empty: any id is passed through)."""


def _coerce_field(value: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if kind in (Path | None, "Path | None"):
        return Path(value).expanduser().resolve() if value else None
    return _coerce(value, kind)


def narration_settings_from_env(env: dict[str, str] | None = None) -> NarrationSettings:
    """Defaults overridden by ``MEDIA_PIPELINE_NARRATION_<FIELD>`` (and AUDIO_STORAGE_DIR)."""
    env = dict(os.environ) if env is None else env
    changes: dict[str, Any] = {}
    for f in fields(NarrationSettings):
        raw = env.get(f"{ENV_PREFIX}NARRATION_{f.name.upper()}")
        if f.name == "audio_storage_dir":
            raw = env.get(ENV_PREFIX + "AUDIO_STORAGE_DIR") or env.get("AUDIO_STORAGE_DIR")
        if raw is not None:
            changes[f.name] = _coerce_field(raw, f.type)
    return replace(NarrationSettings(), **changes)


def secret_from_env(name: str) -> str:
    """The value of environment variable ``name`` (a provider key), or "" when unset."""
    return os.environ.get(name, "") if name else ""
