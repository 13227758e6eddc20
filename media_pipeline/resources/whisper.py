"""Speech recognition as a resource: faster-whisper, or a fast fake for tests.

The real resource loads each model once per process. :class:`FakeWhisperResource` returns
the words of a given transcript spread over the speech regions, in milliseconds and without
a model, for asset and sensor tests that do not measure recognition.
"""

import hashlib
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import numpy as np

from media_pipeline.asr.models import is_english_only, load_whisper, model_identity
from media_pipeline.asr.models import resolve_model_dir as resolve_model
from media_pipeline.asr.transcribe import (
    AsrOptions,
    Transcript,
    TranscriptSegment,
    transcribe_regions,
)
from media_pipeline.audio.vad import SpeechRegion
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.transcription import Recognizer
from media_pipeline.subtitles.model import Word


class WhisperResource(dg.ConfigurableResource):  # type: ignore[misc]
    """faster-whisper: bundled tiny.en or base, a CTranslate2 folder, or a cached hub name."""

    def model_dir(self, settings: PipelineSettings, models_dir: Path) -> Path:
        """The model's folder; raises ModelUnavailableError when it is not on this machine."""
        return resolve_model(settings.model, models_dir)

    def identity(self, settings: PipelineSettings, models_dir: Path) -> str:
        """A short id of the weights: part of the transcript's fingerprint."""
        return model_identity(settings.model, self.model_dir(settings, models_dir))

    def english_only(self, settings: PipelineSettings, models_dir: Path) -> bool:
        return is_english_only(settings.model, self.model_dir(settings, models_dir))

    def recognizer(self, settings: PipelineSettings, models_dir: Path) -> Recognizer:
        """Transcription with the model of ``settings`` (loaded on first use, once a process)."""
        model = load_whisper(str(self.model_dir(settings, models_dir)), settings.device,
                             settings.compute_type, settings.cpu_threads)

        def recognize(samples: np.ndarray, rate: int, regions: list[SpeechRegion],
                      options: AsrOptions, on_progress: Callable[[float], None] | None = None,
                      ) -> Transcript:
            return transcribe_regions(model, samples, rate, regions, options,
                                      on_progress=on_progress)
        return recognize


class FakeWhisperResource(WhisperResource):
    """Says ``transcript`` over whatever audio it is given (tests only)."""

    transcript: str = "hello world"

    def model_dir(self, settings: PipelineSettings, models_dir: Path) -> Path:
        return models_dir / "fake-whisper"

    def identity(self, settings: PipelineSettings, models_dir: Path) -> str:
        return "fake:" + hashlib.sha256(self.transcript.encode()).hexdigest()[:8]

    def english_only(self, settings: PipelineSettings, models_dir: Path) -> bool:
        return settings.model.endswith(".en")

    def recognizer(self, settings: PipelineSettings, models_dir: Path) -> Recognizer:
        words = self.transcript.split()

        def recognize(samples: np.ndarray, rate: int, regions: list[SpeechRegion],
                      options: AsrOptions, on_progress: Callable[[float], None] | None = None,
                      ) -> Transcript:
            return fake_transcript(words, regions, options.language or "en")
        return recognize


def fake_transcript(words: list[str], regions: list[SpeechRegion], language: str) -> Transcript:
    """``words`` spread evenly over ``regions``, one segment per region (plausible times)."""
    total_ms = sum(r.end_ms - r.start_ms for r in regions)
    if not words or total_ms <= 0:
        return Transcript(language, 1.0, total_ms)
    per_word = total_ms / len(words)
    segments: list[TranscriptSegment] = []
    index = 0
    for region in regions:
        share = round((region.end_ms - region.start_ms) / per_word)
        chunk = words[index:] if region is regions[-1] else words[index:index + share]
        index += len(chunk)
        if not chunk:
            continue
        step = (region.end_ms - region.start_ms) / len(chunk)
        timed = tuple(Word(text if i == 0 else f" {text}", round(region.start_ms + i * step),
                           round(region.start_ms + (i + 0.9) * step), 0.9)
                      for i, text in enumerate(chunk))
        segments.append(TranscriptSegment(region.start_ms, region.end_ms, " ".join(chunk),
                                          timed, -0.2, 0.01))
    return Transcript(language, 1.0, total_ms, tuple(segments))
