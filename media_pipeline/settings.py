"""Every setting in one place: typed defaults, overridable from the environment.

Each pipeline setting is declared once, below, with its default and a one-line description
(``setting``). The Dagster resource (``resources/config.py``), the command line's options
(``cli/options.py``) and the API's job options (``api/schemas.py``) are all made from
``setting_specs()``; nothing else in the package reads ``os.environ``.
"""

import functools
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

ENV_PREFIX = "MEDIA_PIPELINE_"

T = TypeVar("T")


def setting(default: T, description: str, *, api: bool = True) -> T:
    """A ``PipelineSettings`` field: its default, a one-line description, and whether an API
    client may choose it per job (``api=False``: server paths, URLs and machine resources)."""
    return field(default=default, metadata={"description": description, "api": api})


@dataclass(frozen=True)
class PipelineSettings:
    """Settings that change what the subtitle assets produce (they enter fingerprints)."""

    model: str = setting("auto", "Whisper model: auto (each file's language is detected; "
                         "English goes to english_model, other languages to "
                         "multilingual_model), tiny.en (bundled), base (bundled multilingual) "
                         "or another model name; the CLI also takes a CTranslate2 model folder")
    language: str = setting("", "Spoken language as an ISO 639 code; empty for auto-detection "
                            "over the file's speech (English-only models always give en)")
    english_model: str = setting("tiny.en", "With model auto: the Whisper model for English "
                                 "speech", api=False)
    multilingual_model: str = setting("base", "With model auto: the Whisper model that detects "
                                      "the language and writes every language but English",
                                      api=False)
    task: str = setting("transcribe", "transcribe (subtitles in the spoken language) or "
                        "translate (English subtitles from any language; multilingual model)")
    beam_size: int = setting(5, "Beam width of Whisper's decoder")
    device: str = setting("cpu", "Device Whisper runs on: cpu, cuda or auto", api=False)
    compute_type: str = setting("int8", "CTranslate2 compute type of the Whisper model "
                                "(int8, float16, float32, ...)", api=False)
    cpu_threads: int = setting(0, "CPU threads for Whisper; 0 means every core", api=False)
    audio_track: int = setting(-1, "Audio stream to transcribe, counted among the file's "
                               "audio streams from 0; -1: the one audio_language picks, else "
                               "the container's default track")
    audio_language: str = setting("", "Transcribe the audio track tagged with this language "
                                  "(ISO 639-1 or -2: de, ger, deu); empty: audio_track decides")
    lufs_target: float = setting(-20.0, "Loudness (LUFS) the speech audio is normalized to "
                                 "before voice detection and transcription")
    vad_aggressiveness: int = setting(3, "webrtcvad mode: 0 keeps the most audio .. 3 filters "
                                      "the most")
    vad_frame_ms: int = setting(30, "webrtcvad frame length in milliseconds: 10, 20 or 30")
    vad_padding_ms: int = setting(300, "Milliseconds kept on each side of a speech region so "
                                  "word edges are not clipped")
    vad_min_silence_ms: int = setting(500, "Pauses shorter than this many milliseconds do not "
                                      "split a speech region")
    vad_energy_gate_db: float = setting(4.0, "Speech frames must be this many dB above the "
                                        "file's noise floor; 0 disables the gate")
    vad_confirm_silero: int = setting(0, "1: the Silero model must confirm webrtcvad's speech "
                                      "(noisy radio); 0: webrtcvad alone")
    profile: str = setting("netflix-en", "Segmentation profile: netflix-en, bbc, or custom "
                           "(numbers from the custom_* settings)")
    separation: str = setting("off", "Demucs vocal isolation: off, on, or auto (when the audio "
                              "is music)")
    separation_model: str = setting("htdemucs", "Demucs bag name or signature; the CLI also "
                                    "takes a path to a .th, .safetensors or .yaml file")
    separation_models_dir: str = setting("", "Folder of Demucs weights (<sig>-<checksum>.th); "
                                         "empty: <data root>/models/demucs", api=False)
    separation_threads: int = setting(0, "torch threads for Demucs; 0 keeps torch's default "
                                      "(every core)", api=False)
    separation_segment_s: float = setting(30.0, "Seconds of audio Demucs separates at once "
                                          "(bounds memory whatever the file's length)")
    beat_snap: str = setting("auto", "Snap cue boundaries to beats: off, on, or auto (songs: "
                             "lyrics given, or music per the separation heuristic)")
    beat_snap_tolerance_beats: float = setting(0.25, "A cue boundary moves to a beat at most "
                                               "this share of a beat away")
    beat_snap_max_ms: int = setting(120, "A cue boundary moves to a beat at most this many "
                                     "milliseconds away")
    min_word_probability: float = setting(0.5, "Words below this probability are listed in the "
                                          "confidence report")
    quote_style: str = setting("", "Quotation marks: straight, typographic or keep; empty "
                               "takes the profile's own style")
    custom_max_chars_per_line: int = setting(42, "custom profile: most characters on a line")
    custom_max_lines: int = setting(2, "custom profile: most lines in a cue")
    custom_min_duration_ms: int = setting(834, "custom profile: shortest cue in milliseconds")
    custom_max_duration_ms: int = setting(7000, "custom profile: longest cue in milliseconds")
    custom_max_cps: float = setting(20.0, "custom profile: most characters per second")
    custom_frame_rate: float = setting(24.0, "custom profile: frame rate that cue gaps are "
                                       "counted in")
    custom_min_gap_frames: int = setting(2, "custom profile: fewest frames between two cues")
    correction_enabled: bool = setting(False, "AI correction of cue text (the API key comes "
                                       "from the server's environment)")
    correction_base_url: str = setting("https://api.mistral.ai/v1", "AI correction server: "
                                       "Mistral's API, or any OpenAI-compatible server "
                                       "(llama.cpp, vLLM)", api=False)
    correction_model: str = setting("mistral-small-latest", "Model the AI correction asks")
    correction_max_edit_ratio: float = setting(0.3, "Largest accepted character edit distance "
                                               "of a correction, relative to the cue text")
    write_beside: bool = setting(False, "Also write <media stem>.<lang>.<ext> beside each "
                                 "source file (under output_dir when that is set)", api=False)
    output_dir: str = setting("", "Write the files of write_beside into a mirror of the source "
                              "tree under this folder instead of beside the media", api=False)
    sidecar_formats: str = setting("srt", "Formats write_beside writes, comma-separated: srt, "
                                   "vtt, ass, lrc, txt", api=False)
    overwrite: bool = setting(False, "write_beside replaces a subtitle file the pipeline did "
                              "not write", api=False)
    skip_existing: bool = setting(False, "Leave alone media that already have a subtitle in "
                                  "the target language beside them", api=False)
    speakers: str = setting("auto", "Speaker diarization: off, auto (label speakers when the "
                            "clustering finds more than one voice) or a fixed number of speakers")
    min_speakers: int = setting(1, "With speakers auto: fewest speakers the clustering may find")
    max_speakers: int = setting(8, "With speakers auto: most speakers the clustering may find")
    speaker_prefix: bool = setting(False, "SRT and TXT cues begin with 'Speaker 1: ' when a "
                                   "file has more than one speaker")
    speaker_dash: bool = setting(False, "A cue may hold two speakers' lines, each begun with "
                                 "'- ' (dual-speaker dash style); off: cues split at every "
                                 "speaker change")
    preview: bool = setting(False, "Render an MP4 preview with the subtitles burned in")
    preview_seconds: float = setting(30.0, "Length of the preview clip in seconds")


@dataclass(frozen=True)
class SettingSpec:
    """One pipeline setting as every face (Dagster config, CLI, API) declares it."""

    name: str
    type: type
    default: Any
    description: str
    api: bool
    """False: an API client may not choose it (server paths, URLs, machine resources)."""


@functools.cache
def setting_specs() -> tuple[SettingSpec, ...]:
    """Every ``PipelineSettings`` field: name, type, default, description, API exposure."""
    hints = get_type_hints(PipelineSettings)
    return tuple(SettingSpec(f.name, hints[f.name], f.default, f.metadata.get("description", ""),
                             bool(f.metadata.get("api", True))) for f in fields(PipelineSettings))


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
    """Media jobs created through the API still waiting in the queue, beyond which an upload
    to ``POST /api/jobs`` (and the Bazarr/OpenAI uploads) is answered 429 (narrations, inbox
    batches, media servers' notices, reprocessing and re-exports do not count)."""
    max_finished_jobs: int = 200
    """Finished jobs the API keeps in memory (Dagster's run history is never cut by it)."""
    run_retention_days: float = 0.0
    """Delete finished runs older than this many days (0 keeps every run); a run that made a
    partition's latest materialization is always kept, so lineage stays whole."""
    inbox_settle_s: float = 10.0
    """An inbox file is taken once it has not been written to for this long (a copy still
    in progress is left alone)."""
    api_token: str | None = None
    """Bearer token the API requires when set (``MEDIA_PIPELINE_API_TOKEN``)."""
    max_upload_mb: int = 2048
    """Largest media file ``POST /api/jobs`` accepts (413 above it, before the body is read)."""
    max_json_body_kb: int = 1024
    """Largest request body other than a multipart upload (JSON and anything else read into
    memory): 413 above it (``MEDIA_PIPELINE_MAX_JSON_BODY_KB``)."""
    library_root: Path | None = None
    """Folder that ``POST /api/jobs {"path": …}`` may read from (default: ``<data>/library``)."""
    reprocess_cron: str = "0 3 * * *"
    reprocess_max_queued: int = 2
    """Stale reprocessing never lets the run queue hold more than this many runs."""
    cancel_grace_s: float = 3.0
    """After a cancel, a run still alive this long is killed."""
    path_map: str = ""
    """How a media server's paths read here: ``their=ours`` pairs separated by ``;`` (the
    longest matching prefix wins), for the webhooks of Jellyfin, Emby and Plex."""
    plex_url: str | None = None
    """Plex server the Plex webhook asks which file a new item is (its notice names none),
    e.g. ``http://plex:32400`` (``MEDIA_PIPELINE_PLEX_URL``)."""
    plex_token: str | None = field(default=None, repr=False)
    """``X-Plex-Token`` for those questions (``MEDIA_PIPELINE_PLEX_TOKEN``); a secret, never
    logged or sent anywhere else."""
    webhook_url: str | None = None
    """POSTed a JSON summary of every finished job (retried with backoff)."""
    sync_api_timeout_s: float = 900.0
    """How long ``/asr`` and ``/v1/audio/*`` wait for a transcription before a 504."""
    celery_broker_url: str | None = None
    """Broker (``amqp://…`` or ``redis://…``) of Dagster's Celery executor: set, runs' steps go
    to ``media-pipeline worker`` processes on any host (``MEDIA_PIPELINE_CELERY_BROKER_URL``)."""
    dagster_postgres_url: str | None = None
    """PostgreSQL URL for the Dagster instance's storage (runs, events, schedules) instead of
    SQLite under the data root: a shared deployment. ``MEDIA_PIPELINE_DAGSTER_POSTGRES_URL``;
    the generated dagster.yaml names the variable, never the URL (it may hold a password)."""


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
    env = {**data_dir_env(root), **env}  # the environment wins over the data root's file
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
        max_json_body_kb=num("MAX_JSON_BODY_KB", base.max_json_body_kb),
        library_root=Path(library_root).resolve() if library_root else None,
        reprocess_cron=env.get(ENV_PREFIX + "REPROCESS_CRON") or base.reprocess_cron,
        reprocess_max_queued=num("REPROCESS_MAX_QUEUED", base.reprocess_max_queued),
        cancel_grace_s=num("CANCEL_GRACE_S", base.cancel_grace_s),
        run_retention_days=num("RUN_RETENTION_DAYS", base.run_retention_days),
        inbox_settle_s=num("INBOX_SETTLE_S", base.inbox_settle_s),
        path_map=env.get(ENV_PREFIX + "PATH_MAP") or base.path_map,
        plex_url=env.get(ENV_PREFIX + "PLEX_URL") or None,
        plex_token=env.get(ENV_PREFIX + "PLEX_TOKEN") or None,
        webhook_url=env.get(ENV_PREFIX + "WEBHOOK_URL") or None,
        sync_api_timeout_s=num("SYNC_API_TIMEOUT_S", base.sync_api_timeout_s),
        dagster_postgres_url=env.get(POSTGRES_URL_ENV) or None,
        celery_broker_url=env.get(ENV_PREFIX + "CELERY_BROKER_URL") or None,
    )


DATA_DIR_ENV_FILE = "media-pipeline.env"
"""``KEY=VALUE`` lines in the data root (written by ``scripts/cluster-up``): what every
command on that data root (``status``, ``worker`` on any host) needs to find a shared
deployment's instance and broker, under variables the process environment may override."""


def data_dir_env(root: Path) -> dict[str, str]:
    """The variables of ``root``'s :data:`DATA_DIR_ENV_FILE` (empty when there is none)."""
    try:
        text = (root / DATA_DIR_ENV_FILE).read_text(encoding="utf-8")
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}



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
