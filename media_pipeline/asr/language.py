"""The spoken language of a file, and the Whisper model that can write it.

Detection runs the multilingual model's language head over the file's *speech* only (the
VAD's speech regions, concatenated): a few 30 s windows spread evenly over it, their
probabilities averaged (weighted by each window's length), so a song intro, a cold open in
another language or a first minute of music does not decide for the whole file.

The model choice (:func:`choose_model`) sends English to the English model and every other
language to the multilingual one; a model that cannot write the detected language is a
:class:`LanguageUnsupportedError`, never a transcript in another language.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from media_pipeline.audio.vad import CutMap, SpeechRegion, cut_speech
from media_pipeline.errors import ConfigurationError, MediaPipelineError
from media_pipeline.languages import language_name
from media_pipeline.settings import PipelineSettings

AUTO_MODEL = "auto"
TASKS = ("transcribe", "translate")
DETECTION_WINDOWS = 3
"""At most this many windows are listened to: enough to outvote an intro, cheap on CPU."""
WINDOW_MS = 15_000
"""Each window's length: on the corpus's 58 clips (FLEURS de/fr/es/pt/en, LibriSpeech,
5-15 s each) the language head was right on every one from their own length alone."""
MIN_DETECTION_FRAMES = 1000
"""The encoder hears at least 10 s of mel frames (speech, then zeros): Whisper pads every
input to 30 s, which cost 0.5 s of ``base`` per window on two CPU threads; a window's own
length (10-15 s) costs a fifth of that and gave the same language on every corpus clip."""
MIN_SPEECH_MS = 250
MIN_PROBABILITY = 0.5
"""Below this, detection is *unsure*: the file still goes to the multilingual model, which
then decides the language per window itself (a mixed-language file, a mumbled clip)."""
ALTERNATIVES = 3


@dataclass(frozen=True)
class LanguageGuess:
    """The detected language (ISO 639-1), its probability and the runners-up."""

    language: str
    probability: float
    alternatives: tuple[tuple[str, float], ...] = field(default=())
    speech_ms: int = 0
    windows: tuple[tuple[int, int], ...] = field(default=())
    """The listened windows, in source milliseconds (start, end)."""
    forced: bool = False

    @property
    def unsure(self) -> bool:
        return not self.forced and self.probability < MIN_PROBABILITY


@dataclass(frozen=True)
class ModelChoice:
    """How the transcript is made: model, language passed to Whisper (None: Whisper decides
    per window), task, and the language the subtitles are written in."""

    model: str
    language: str | None
    task: str
    subtitle_language: str


class LanguageUnsupportedError(MediaPipelineError):
    """The chosen model cannot write the file's spoken language."""


LanguageProbabilities = Callable[[np.ndarray], list[tuple[str, float]]]
"""One window of 16 kHz speech → every language with its probability, best first."""


def whisper_language_probabilities(model: Any) -> LanguageProbabilities:
    """The language head of a loaded faster-whisper model, one window at a time, over the
    window's own frames (at least ``MIN_DETECTION_FRAMES``) rather than 30 s of padding."""
    def probabilities(window: np.ndarray) -> list[tuple[str, float]]:
        extractor = model.feature_extractor
        features = extractor(window)[:, :extractor.nb_max_frames]
        frames = max(features.shape[1], MIN_DETECTION_FRAMES)
        padded = np.zeros((features.shape[0], frames), dtype=np.float32)
        padded[:, :features.shape[1]] = features
        results = model.model.detect_language(model.encode(padded))[0]
        # Tokens read "<|en|>"; strip the brackets as faster-whisper does.
        return [(str(token[2:-2]), float(p)) for token, p in results]
    return probabilities


def detection_windows(total_ms: int, count: int = DETECTION_WINDOWS,
                      window_ms: int = WINDOW_MS) -> list[tuple[int, int]]:
    """Up to ``count`` windows of ``window_ms`` spread evenly over ``total_ms`` of speech
    (the speech-only timeline); all of it when it fits in one window."""
    if total_ms <= window_ms:
        return [(0, total_ms)] if total_ms > 0 else []
    n = max(1, min(count, -(-total_ms // window_ms)))
    if n == 1:
        return [(0, window_ms)]
    step = (total_ms - window_ms) / (n - 1)
    return [(round(i * step), round(i * step) + window_ms) for i in range(n)]


def detect_language(probabilities: LanguageProbabilities, samples: np.ndarray, rate: int,
                    regions: list[SpeechRegion]) -> LanguageGuess:
    """The language of the speech ``regions`` of ``samples`` (see the module docstring)."""
    cut_map = CutMap.from_regions(regions)
    speech = cut_speech(samples, rate, regions)
    speech_ms = speech.size * 1000 // rate
    if speech_ms < MIN_SPEECH_MS:
        return LanguageGuess("", 0.0, speech_ms=speech_ms)
    totals: dict[str, float] = {}
    weight = 0.0
    windows = detection_windows(speech_ms)
    for start_ms, end_ms in windows:
        window = speech[start_ms * rate // 1000: end_ms * rate // 1000]
        share = (end_ms - start_ms) / WINDOW_MS
        for lang, p in probabilities(window.astype(np.float32)):
            totals[lang] = totals.get(lang, 0.0) + p * share
        weight += share
    ranked = sorted(((lang, p / weight) for lang, p in totals.items()), key=lambda x: -x[1])
    best, best_p = ranked[0]
    source_windows = tuple((cut_map.to_source_ms(a), cut_map.to_source_ms(b, is_end=True))
                           for a, b in windows)
    return LanguageGuess(best, round(best_p, 4),
                         tuple((lang, round(p, 4)) for lang, p in ranked[1:1 + ALTERNATIVES]),
                         speech_ms, source_windows)


def check_task(settings: PipelineSettings) -> None:
    """Raise ConfigurationError for a task Whisper does not have."""
    if settings.task not in TASKS:
        raise ConfigurationError(f"task must be one of {', '.join(TASKS)}, "
                                 f"not {settings.task!r}")


def choose_model(guess: LanguageGuess, settings: PipelineSettings,
                 english_only: Callable[[str], bool]) -> ModelChoice:
    """The model, language and task for the transcript of a file heard as ``guess``.

    ``english_only(model)`` says whether a model writes only English. Raises
    LanguageUnsupportedError when the model the settings force cannot write the language.
    """
    translate = settings.task == "translate"
    spoken = guess.language
    if settings.model != AUTO_MODEL:
        model = settings.model
    elif translate and spoken != "en":
        model = settings.multilingual_model
    elif not spoken or (spoken == "en" and not guess.unsure):
        model = settings.english_model  # no speech at all: the cheap model hears nothing
    else:
        model = settings.multilingual_model
    if english_only(model):
        if translate and settings.model != AUTO_MODEL:
            raise LanguageUnsupportedError(
                f"--task translate needs a multilingual model; {model!r} is English-only "
                "(use --model base)")
        if spoken and spoken != "en" and (guess.forced or not guess.unsure):
            raise LanguageUnsupportedError(_cannot_write(model, guess))
        return ModelChoice(model, "en", "transcribe", "en")
    if spoken == "en" or not translate:
        language = None if guess.unsure else (spoken or None)
        return ModelChoice(model, language, "transcribe", spoken or "")
    return ModelChoice(model, None if guess.unsure else spoken, "translate", "en")


def _cannot_write(model: str, guess: LanguageGuess) -> str:
    how = "set with --language" if guess.forced else f"detected, {guess.probability:.1%} sure"
    name = language_name(guess.language).title()
    return (f"the speech is {name} ({guess.language}, {how}) and model {model!r} writes only "
            f"English: use --model base for {name} subtitles, or --task translate for English "
            "ones")
