"""Speech recognition as a resource: faster-whisper, or a fast fake for tests.

The real resource loads each model once per process. :class:`FakeWhisperResource` returns
the words of a given transcript spread over the speech regions, in milliseconds and without
a model, for asset and sensor tests that do not measure recognition.
"""

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import dagster as dg
import numpy as np

from media_pipeline.asr.candidates import (
    detector_model,
    models_identity,
    named_model,
)
from media_pipeline.asr.language import (
    AUTO_MODEL,
    LanguageGuess,
    check_task,
    detect_language,
    whisper_language_probabilities,
)
from media_pipeline.asr.models import (
    ENGLISH_ONLY_SUFFIX,
    SHARED_BATCH_MEMORY_MB,
    batch_size_for,
    device_error,
    is_english_only,
    load_whisper,
)
from media_pipeline.asr.models import resolve_model_dir as resolve_model
from media_pipeline.asr.transcribe import (
    AsrOptions,
    SpeechClip,
    Transcript,
    TranscriptSegment,
    transcribe_clips,
    transcribe_regions,
)
from media_pipeline.audio.vad import SpeechRegion
from media_pipeline.errors import ModelUnavailableError
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.language import LanguageDetector
from media_pipeline.stages.transcription import ManyRecognizer, Recognizer
from media_pipeline.subtitles.model import Word


class WhisperResource(dg.ConfigurableResource):  # type: ignore[misc]
    """faster-whisper: bundled tiny.en or base, a CTranslate2 folder, or a cached hub name.

    ``model`` arguments name one model; None means the settings' model, and for ``auto``
    the multilingual model (the one that detects languages).
    """

    def model_dir(self, settings: PipelineSettings, models_dir: Path,
                  model: str | None = None) -> Path:
        """The model's folder; raises ModelUnavailableError when it is not on this machine."""
        return resolve_model(named_model(settings, model), models_dir)

    def identity(self, settings: PipelineSettings, models_dir: Path) -> str:
        """See :func:`asr.candidates.models_identity`."""
        return models_identity(settings, models_dir)

    def english_only(self, settings: PipelineSettings, models_dir: Path,
                     model: str | None = None) -> bool:
        name = named_model(settings, model)
        return is_english_only(name, self.model_dir(settings, models_dir, name))

    def recognizer(self, settings: PipelineSettings, models_dir: Path,
                   model: str | None = None) -> Recognizer:
        """Transcription with ``model`` (loaded on first use, once a process)."""
        model_dir = str(self.model_dir(settings, models_dir, model))
        loaded = load_whisper(model_dir, settings.device, settings.compute_type,
                              settings.cpu_threads)
        batch = batch_size_for(model_dir, settings.device, settings.beam_size)

        def recognize(samples: np.ndarray, rate: int, regions: list[SpeechRegion],
                      options: AsrOptions, on_progress: Callable[[float], None] | None = None,
                      ) -> Transcript:
            with on_device(settings):
                return transcribe_regions(loaded, samples, rate,
                                          regions, replace(options, batch_size=batch),
                                          on_progress=on_progress)
        return recognize

    def many_recognizer(self, settings: PipelineSettings, models_dir: Path,
                        model: str | None = None) -> ManyRecognizer:
        """Transcription of several files in shared batches with ``model``."""
        model_dir = str(self.model_dir(settings, models_dir, model))
        loaded = load_whisper(model_dir, settings.device, settings.compute_type,
                              settings.cpu_threads)
        batch = batch_size_for(model_dir, settings.device, settings.beam_size,
                               SHARED_BATCH_MEMORY_MB)

        def recognize(clips: list[SpeechClip], options: AsrOptions) -> list[Transcript]:
            with on_device(settings):
                return transcribe_clips(loaded, clips, replace(options, batch_size=batch))
        return recognize

    def detector(self, settings: PipelineSettings, models_dir: Path) -> LanguageDetector | None:
        """Language detection with the multilingual model; None when it is not here (a
        forced model then runs without the check that it can write the language)."""
        name = detector_model(settings)
        try:
            loaded = load_whisper(str(self.model_dir(settings, models_dir, name)),
                                  settings.device, settings.compute_type, settings.cpu_threads)
        except ModelUnavailableError:
            if settings.model == AUTO_MODEL:
                raise
            return None
        probabilities = whisper_language_probabilities(loaded)

        def detect(samples: np.ndarray, rate: int, regions: list[SpeechRegion]) -> LanguageGuess:
            with on_device(settings):
                return detect_language(probabilities, samples, rate, regions)
        return detect


@contextlib.contextmanager
def on_device(settings: PipelineSettings) -> Iterator[None]:
    """CTranslate2's GPU failures at run time (libcublas.so.12 missing loads lazily, at the
    first encode) become a clear ConfigurationError naming the fix."""
    try:
        yield
    except RuntimeError as exc:
        if settings.device == "cpu":
            raise
        raise device_error(settings.device, settings.compute_type, exc) from exc


class FakeWhisperResource(WhisperResource):
    """Says ``transcript`` over whatever audio it is given (tests only); hears the forced
    language, else ``language``."""

    transcript: str = "hello world"
    language: str = "en"

    def model_dir(self, settings: PipelineSettings, models_dir: Path,
                  model: str | None = None) -> Path:
        return models_dir / "fake-whisper"

    def identity(self, settings: PipelineSettings, models_dir: Path) -> str:
        check_task(settings)
        return "fake:" + hashlib.sha256(self.transcript.encode()).hexdigest()[:8]

    def english_only(self, settings: PipelineSettings, models_dir: Path,
                     model: str | None = None) -> bool:
        return named_model(settings, model).endswith(ENGLISH_ONLY_SUFFIX)

    def recognizer(self, settings: PipelineSettings, models_dir: Path,
                   model: str | None = None) -> Recognizer:
        words = self.transcript.split()

        def recognize(samples: np.ndarray, rate: int, regions: list[SpeechRegion],
                      options: AsrOptions, on_progress: Callable[[float], None] | None = None,
                      ) -> Transcript:
            return fake_transcript(words, regions, options.language or self.language)
        return recognize

    def many_recognizer(self, settings: PipelineSettings, models_dir: Path,
                        model: str | None = None) -> ManyRecognizer:
        words = self.transcript.split()

        def recognize(clips: list[SpeechClip], options: AsrOptions) -> list[Transcript]:
            return [fake_transcript(words, c.regions, options.language or self.language)
                    for c in clips]
        return recognize

    def detector(self, settings: PipelineSettings, models_dir: Path) -> LanguageDetector | None:
        def detect(samples: np.ndarray, rate: int, regions: list[SpeechRegion]) -> LanguageGuess:
            speech_ms = sum(r.end_ms - r.start_ms for r in regions)
            return LanguageGuess(self.language, 1.0, (), speech_ms)
        return detect


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
