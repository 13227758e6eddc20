"""``GET /api/voices``: the voices a narration may name, per configured provider."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from media_pipeline.api.narrations import Service
from media_pipeline.errors import MediaPipelineError
from media_pipeline.resources.narration import provider_config
from media_pipeline.resources.tts_providers import build_provider, resolve_voice

router = APIRouter(prefix="/api", tags=["narrations"])
BUILT_IN = ("piper", "elevenlabs")


class VoiceOut(BaseModel):
    provider: str = Field(description="TTS provider (POST /api/narrations 'provider')")
    voice: str = Field(description="Voice id (POST /api/narrations 'voice')")
    default: bool = Field(description="What a narration gets when it names none")
    min_speed: float = Field(description="Slowest 'speed' the provider takes")
    max_speed: float = Field(description="Fastest 'speed' the provider takes")


@router.get("/voices", response_model=list[VoiceOut])
def list_voices(narrations: Service) -> list[dict[str, Any]]:
    """Voices of every provider this server can use (one not installed or not configured
    is left out); the default provider first."""
    settings = narrations.settings
    config = provider_config(settings)
    out: list[dict[str, Any]] = []
    for name in dict.fromkeys((settings.provider, *BUILT_IN)):
        try:
            engine = build_provider(name, config)
            default = resolve_voice(engine, settings.voice) if name == settings.provider \
                else None
        except MediaPipelineError:  # not installed, not configured, or no voice list
            continue
        caps = engine.capabilities
        low, high = (caps.min_speed, caps.max_speed) if caps.supports_speed else (1.0, 1.0)
        voices = list(dict.fromkeys([*([default] if default else []), *caps.voices]))
        out.extend({"provider": name, "voice": v, "default": v == default,
                    "min_speed": low, "max_speed": high} for v in voices)
    return out


