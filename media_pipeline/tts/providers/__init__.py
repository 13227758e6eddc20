"""Text-to-speech providers behind one interface; heavy engines are imported lazily."""

from media_pipeline.tts.providers.base import (
    ProviderCapabilities,
    SynthesisResult,
    TimedSentence,
    TimedWord,
    TTSProvider,
)

__all__ = [
    "ProviderCapabilities",
    "SynthesisResult",
    "TTSProvider",
    "TimedSentence",
    "TimedWord",
]
