"""Text to speech, pure: chunking, providers, retry, stitching, timing merge (no Dagster).

Piper lives in ``media_pipeline.tts.providers.piper`` and is imported only when used.
"""

from media_pipeline.tts.chunker import Chunk, TextChunker, sentence_spans, word_spans
from media_pipeline.tts.manager import (
    NarrationResult,
    ProgressCallback,
    canonical_text,
    narration_key,
    synthesize_narration,
    user_message_for,
)
from media_pipeline.tts.providers.base import (
    ProviderCapabilities,
    SynthesisResult,
    TimedSentence,
    TimedWord,
    TTSProvider,
)
from media_pipeline.tts.registry import ProviderRegistry
from media_pipeline.tts.retry import synthesize_with_retry
from media_pipeline.tts.stitch import AudioStitcher, StitchResult
from media_pipeline.tts.timing import TimingNormalizer

__all__ = [
    "AudioStitcher",
    "Chunk",
    "NarrationResult",
    "ProgressCallback",
    "ProviderCapabilities",
    "ProviderRegistry",
    "StitchResult",
    "SynthesisResult",
    "TTSProvider",
    "TextChunker",
    "TimedSentence",
    "TimedWord",
    "TimingNormalizer",
    "canonical_text",
    "narration_key",
    "sentence_spans",
    "synthesize_narration",
    "synthesize_with_retry",
    "user_message_for",
    "word_spans",
]
