"""The ``narration`` Dagster resource: where narrations live and how providers are built."""

from pathlib import Path

import dagster as dg

from media_pipeline.resources.tts_providers import ProviderConfig, build_provider
from media_pipeline.settings import NarrationSettings, RuntimeSettings, secret_from_env
from media_pipeline.stages.narration import Transcribe
from media_pipeline.store.narration import NarrationStore
from media_pipeline.store.paths import DataRoot
from media_pipeline.tts.providers.base import TTSProvider

_defaults = NarrationSettings()


def audio_dir_for(runtime: RuntimeSettings, settings: NarrationSettings) -> Path:
    """AUDIO_STORAGE_DIR, by default ``<data root>/audio``."""
    return settings.audio_storage_dir or DataRoot.of(runtime).audio_dir


def provider_config(settings: NarrationSettings, api_key: str | None = None) -> ProviderConfig:
    """Provider settings; the key is read from its environment variable unless given."""
    key = secret_from_env(settings.elevenlabs_api_key_env) if api_key is None else api_key
    voices = tuple(v.strip() for v in settings.elevenlabs_voices.split(",") if v.strip())
    return ProviderConfig(settings.elevenlabs_base_url, key, settings.elevenlabs_api_key_env,
                          voices)


class NarrationResource(dg.ConfigurableResource):  # type: ignore[misc]
    """Narration files, providers and the round-trip transcription model."""

    data_dir: str
    audio_dir: str
    profile: str = _defaults.profile
    round_trip_model: str = _defaults.round_trip_model
    max_round_trip_wer: float = _defaults.max_round_trip_wer
    max_age_hours: float = _defaults.max_age_hours
    elevenlabs_base_url: str = _defaults.elevenlabs_base_url
    elevenlabs_api_key: str = ""
    """Set from ``dg.EnvVar`` so the key never shows in run config."""
    elevenlabs_api_key_env: str = _defaults.elevenlabs_api_key_env
    elevenlabs_voices: str = _defaults.elevenlabs_voices

    @classmethod
    def from_settings(cls, runtime: RuntimeSettings,
                      settings: NarrationSettings) -> "NarrationResource":
        key_env = settings.elevenlabs_api_key_env
        api_key = dg.EnvVar(key_env) if secret_from_env(key_env) else ""
        return cls(
            data_dir=str(runtime.data_dir), audio_dir=str(audio_dir_for(runtime, settings)),
            profile=settings.profile, round_trip_model=settings.round_trip_model,
            max_round_trip_wer=settings.max_round_trip_wer, max_age_hours=settings.max_age_hours,
            elevenlabs_base_url=settings.elevenlabs_base_url, elevenlabs_api_key=api_key,
            elevenlabs_api_key_env=key_env, elevenlabs_voices=settings.elevenlabs_voices,
        )

    def store(self) -> NarrationStore:
        return NarrationStore(Path(self.data_dir) / "narrations", Path(self.audio_dir))

    def provider(self, name: str) -> TTSProvider:
        voices = tuple(v.strip() for v in self.elevenlabs_voices.split(",") if v.strip())
        config = ProviderConfig(self.elevenlabs_base_url, self.elevenlabs_api_key,
                                self.elevenlabs_api_key_env, voices)
        return build_provider(name, config)

    def transcriber(self) -> Transcribe:
        """The project's own transcription (faster-whisper, loaded once per process)."""
        from media_pipeline.stages.round_trip import whisper_transcriber

        return whisper_transcriber(self.round_trip_model, Path(self.data_dir) / "models")
