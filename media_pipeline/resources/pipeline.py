"""Dagster resources: the pipeline's settings and where its files and library live."""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.asr.models import load_whisper, model_identity, resolve_model_dir
from media_pipeline.fingerprints import asset_fingerprints
from media_pipeline.library.db import Library
from media_pipeline.settings import PipelineSettings
from media_pipeline.storage import ArtifactStore

_defaults = PipelineSettings()


class PipelineConfig(dg.ConfigurableResource):  # type: ignore[misc]
    """Settings that shape the subtitles (see settings.PipelineSettings for each field)."""

    model: str = _defaults.model
    language: str = _defaults.language
    beam_size: int = _defaults.beam_size
    device: str = _defaults.device
    compute_type: str = _defaults.compute_type
    cpu_threads: int = _defaults.cpu_threads
    lufs_target: float = _defaults.lufs_target
    vad_aggressiveness: int = _defaults.vad_aggressiveness
    vad_frame_ms: int = _defaults.vad_frame_ms
    vad_padding_ms: int = _defaults.vad_padding_ms
    vad_min_silence_ms: int = _defaults.vad_min_silence_ms
    vad_energy_gate_db: float = _defaults.vad_energy_gate_db
    vad_confirm_silero: int = _defaults.vad_confirm_silero
    profile: str = _defaults.profile
    separation: str = _defaults.separation
    separation_model: str = _defaults.separation_model
    separation_models_dir: str = _defaults.separation_models_dir
    separation_threads: int = _defaults.separation_threads
    separation_segment_s: float = _defaults.separation_segment_s
    beat_snap: str = _defaults.beat_snap
    beat_snap_tolerance_beats: float = _defaults.beat_snap_tolerance_beats
    beat_snap_max_ms: int = _defaults.beat_snap_max_ms
    min_word_probability: float = _defaults.min_word_probability
    quote_style: str = _defaults.quote_style
    custom_max_chars_per_line: int = _defaults.custom_max_chars_per_line
    custom_max_lines: int = _defaults.custom_max_lines
    custom_min_duration_ms: int = _defaults.custom_min_duration_ms
    custom_max_duration_ms: int = _defaults.custom_max_duration_ms
    custom_max_cps: float = _defaults.custom_max_cps
    custom_frame_rate: float = _defaults.custom_frame_rate
    custom_min_gap_frames: int = _defaults.custom_min_gap_frames
    correction_enabled: bool = _defaults.correction_enabled
    correction_base_url: str = _defaults.correction_base_url
    correction_model: str = _defaults.correction_model
    correction_max_edit_ratio: float = _defaults.correction_max_edit_ratio
    preview: bool = _defaults.preview
    preview_seconds: float = _defaults.preview_seconds

    @classmethod
    def from_settings(cls, settings: PipelineSettings) -> "PipelineConfig":
        return cls(**settings.__dict__)

    def settings(self) -> PipelineSettings:
        names = PipelineSettings.__dataclass_fields__
        return PipelineSettings(**{k: getattr(self, k) for k in names})


def run_config_for(settings: PipelineSettings) -> dict[str, object]:
    """Run config that makes a run use exactly ``settings``."""
    known = set(PipelineConfig.model_fields)
    config = {k: v for k, v in settings.__dict__.items() if k in known}
    return {"resources": {"pipeline": {"config": config}}}


class StorageResource(dg.ConfigurableResource):  # type: ignore[misc]
    """The data root: media store, artifacts, library database and model cache."""

    data_dir: str

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.root / "artifacts")

    @property
    def model_cache(self) -> Path:
        return self.root / "models"

    def library(self) -> Library:
        return Library(self.root / "library.duckdb")

    def model_dir(self, settings: PipelineSettings) -> Path:
        return resolve_model_dir(settings.model, self.model_cache)

    def fingerprints(self, settings: PipelineSettings, key: str | None = None) -> dict[str, str]:
        """Every asset's fingerprint for media ``key`` under ``settings``.

        A key's own lyrics, dictionary entries and undone cleanup changes enter only its own
        fingerprints; without a key, the result is that of a media with none of them.
        """
        from media_pipeline.audio.separation import separation_identity
        from media_pipeline.library.cleanup_reverts import media_reverts_digest
        from media_pipeline.library.dictionary import media_dictionary_digest
        from media_pipeline.music import lyrics_digest

        digest = media_dictionary_digest(self.library(), key)  # the dictionary feeds cues
        identity = model_identity(settings.model, self.model_dir(settings))

        separation = separation_identity(settings.separation, settings.separation_model,
                                         self.demucs_dir(settings))
        if separation:  # the block length changes the stem slightly
            separation += f"@{settings.separation_segment_s:g}s"
        return asset_fingerprints(settings, identity, digest, lyrics_digest(self.root, key),
                                  separation, media_reverts_digest(self.library(), key))

    def demucs_dir(self, settings: PipelineSettings) -> Path:
        """Where Demucs weights are looked for first (see audio/separation.py)."""
        chosen = settings.separation_models_dir
        return Path(chosen).expanduser().resolve() if chosen else self.model_cache / "demucs"

    def whisper(self, settings: PipelineSettings) -> Any:
        """The model for ``settings``, loaded once per process."""
        return load_whisper(str(self.model_dir(settings)), settings.device,
                            settings.compute_type, settings.cpu_threads)
