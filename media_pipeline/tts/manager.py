"""One narration, start to finish: chunk, synthesize with retry, stitch, merge timings.

Pure orchestration for wrappers (Dagster assets, the API, the CLI) to call. Failures follow
seed 003's table: every exception leaving ``synthesize_narration`` is a ``MediaPipelineError``
whose ``user_message`` is safe to show; unforeseen ones become "An unexpected error occurred"
after their traceback is logged.
"""

import hashlib
import json
import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from media_pipeline.errors import MediaPipelineError
from media_pipeline.tts.chunker import Chunk, TextChunker, word_spans
from media_pipeline.tts.errors import (
    UNEXPECTED_MESSAGE,
    AudioProcessingError,
    NarrationInputError,
    ProviderError,
    UnexpectedNarrationError,
)
from media_pipeline.tts.providers.base import (
    SynthesisResult,
    TimedSentence,
    TimedWord,
    TTSProvider,
)
from media_pipeline.tts.retry import Sleep, synthesize_with_retry
from media_pipeline.tts.stitch import AudioStitcher, StitchResult
from media_pipeline.tts.timing import TimingNormalizer

ProgressCallback = Callable[[int, int], None]
"""Called as ``on_progress(completed_chunks, total_chunks)``: once with 0, then per chunk.
It may raise ``NarrationCancelledError`` to stop between chunks."""

module_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NarrationResult:
    """A finished narration: the MP3 and its timings on the MP3's timeline."""

    mp3_path: Path
    duration_ms: int
    sample_rate: int
    words: list[TimedWord]
    """Word timings; empty when ``timing_type`` is ``"sentence"``."""
    sentences: list[TimedSentence]
    chunks: list[Chunk]
    chunk_durations_ms: list[int]
    timing_type: Literal["word", "sentence"]


def canonical_text(text: str) -> str:
    """The text as keyed and spoken: Unicode NFC, outer whitespace removed."""
    return unicodedata.normalize("NFC", text).strip()


def narration_key(text: str, voice: str, speed: float, provider: str) -> str:
    """First 16 hex digits of the SHA-256 of a canonical JSON of the request."""
    payload = json.dumps(
        {
            "provider": provider,
            "speed": round(float(speed), 3),
            "text": canonical_text(text),
            "voice": voice,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def user_message_for(exc: BaseException) -> str:
    """What a user should read for ``exc``: its own safe message, or the generic one."""
    return exc.user_message if isinstance(exc, MediaPipelineError) else UNEXPECTED_MESSAGE


def _validate(provider: TTSProvider, text: str, voice: str, speed: float) -> None:
    caps = provider.capabilities
    if not text:
        raise NarrationInputError("Text is empty")
    if not word_spans(text):
        raise NarrationInputError("Text has no words to speak")
    if caps.voices and voice not in caps.voices:
        known = ", ".join(caps.voices)
        raise NarrationInputError(f"Unknown voice {voice!r} for {provider.name}; known: {known}")
    low, high = (caps.min_speed, caps.max_speed) if caps.supports_speed else (1.0, 1.0)
    if not low <= speed <= high:
        raise NarrationInputError(f"Speed must be between {low:g} and {high:g} for {provider.name}")


def synthesize_narration(
    text: str,
    provider: TTSProvider,
    voice: str,
    speed: float,
    out_mp3_path: Path,
    on_progress: ProgressCallback | None = None,
    *,
    sleep: Sleep = time.sleep,
    chunker: TextChunker | None = None,
    stitcher: AudioStitcher | None = None,
    normalizer: TimingNormalizer | None = None,
    logger: logging.Logger | None = None,
) -> NarrationResult:
    """Narrate ``text`` into ``out_mp3_path`` (written atomically) with word or sentence timings.

    Raises only ``MediaPipelineError`` subclasses (see the module docstring for the table).
    """
    log = logger or module_logger
    try:
        return _narrate(
            canonical_text(text),
            provider,
            voice,
            speed,
            Path(out_mp3_path),
            on_progress or (lambda done, total: None),
            sleep,
            chunker or TextChunker(),
            stitcher or AudioStitcher(),
            normalizer or TimingNormalizer(),
            log,
        )
    except MediaPipelineError:
        raise
    except Exception as exc:
        log.exception("narration failed unexpectedly")
        raise UnexpectedNarrationError() from exc


def _narrate(
    text: str,
    provider: TTSProvider,
    voice: str,
    speed: float,
    out_path: Path,
    on_progress: ProgressCallback,
    sleep: Sleep,
    chunker: TextChunker,
    stitcher: AudioStitcher,
    normalizer: TimingNormalizer,
    log: logging.Logger,
) -> NarrationResult:
    _validate(provider, text, voice, speed)
    chunks = chunker.chunk(text, provider.capabilities.max_chunk_chars)
    on_progress(0, len(chunks))
    results: list[SynthesisResult] = []
    for chunk in chunks:
        try:
            results.append(synthesize_with_retry(provider, chunk.text, voice, speed, sleep=sleep))
        except ImportError as exc:
            # An optional engine that is not installed: its message is the install hint.
            raise ProviderError(str(exc), provider=provider.name) from exc
        on_progress(chunk.index + 1, len(chunks))

    stitched = _stitch(stitcher, results, out_path, log)
    words: list[TimedWord] = []
    sentences: list[TimedSentence] | None = None
    offsets, durations = stitched.chunk_offsets_ms, stitched.chunk_durations_ms
    if all(r.words is not None for r in results):
        try:
            words = normalizer.merge_word_timings(
                chunks, [r.words or [] for r in results], offsets, durations
            )
            sentences = normalizer.sentences_from_words(text, words)
        except Exception:
            log.warning("timing merge failed; using estimated sentence timings", exc_info=True)
            words = []
    if sentences is None:
        sentences = normalizer.estimate_sentence_timings(text, chunks, offsets, durations)
    return NarrationResult(
        mp3_path=stitched.path,
        duration_ms=stitched.duration_ms,
        sample_rate=stitched.sample_rate,
        words=words,
        sentences=sentences,
        chunks=chunks,
        chunk_durations_ms=durations,
        timing_type="word" if words else "sentence",
    )


def _stitch(
    stitcher: AudioStitcher, results: list[SynthesisResult], out_path: Path, log: logging.Logger
) -> StitchResult:
    try:
        return stitcher.stitch([r.wav_bytes for r in results], out_path)
    except AudioProcessingError as exc:
        log.error("stitching failed: %s", exc.detail)
        raise
    except Exception as exc:
        log.exception("stitching failed")
        raise AudioProcessingError(repr(exc)) from exc
