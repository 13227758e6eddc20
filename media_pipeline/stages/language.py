"""Stage 'spoken language' without Dagster: detect the language over the speech regions and
choose the model that writes the transcript, as JSON.

With ``language`` set, the forced language is recorded without any model work.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from media_pipeline.asr.language import LanguageGuess, ModelChoice, choose_model
from media_pipeline.atomic import write_json_atomic
from media_pipeline.audio.vad import SpeechRegion
from media_pipeline.audio.wav import read_wav
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.transcription import load_regions


class LanguageDetector(Protocol):
    """The spoken language of the speech ``regions`` of ``samples`` (resources/whisper.py)."""

    def __call__(self, samples: np.ndarray, rate: int,
                 regions: list[SpeechRegion]) -> LanguageGuess:
        ...


def spoken_language_step(wav: Path, regions_file: Path, detect: LanguageDetector | None,
                         settings: PipelineSettings, english_only: Callable[[str], bool],
                         out_dir: Path) -> StepResult:
    """``language.json``: the spoken language, its probability, the runners-up and the model
    chosen for the transcript. Raises LanguageUnsupportedError (see asr/language.py)."""
    started = time.perf_counter()
    regions = load_regions(regions_file)
    speech_ms = sum(r.end_ms - r.start_ms for r in regions)
    if settings.language:
        guess = LanguageGuess(settings.language, 1.0, speech_ms=speech_ms, forced=True)
    elif detect is None:  # no multilingual model here: a forced model runs unchecked
        guess = LanguageGuess("", 0.0, speech_ms=speech_ms)
    else:
        samples, rate = read_wav(wav)
        guess = detect(samples, rate, regions)
    choice = choose_model(guess, settings, english_only)
    info = language_info(guess, choice)
    info["seconds"] = round(time.perf_counter() - started, 3)
    write_json_atomic(out_dir / "language.json", info)
    return {"language": "language.json"}, info


def language_info(guess: LanguageGuess, choice: ModelChoice) -> dict[str, Any]:
    """What the stage records: the guess, and how the transcript will be made."""
    return {"language": guess.language, "language_probability": guess.probability,
            "alternatives": [[lang, p] for lang, p in guess.alternatives],
            "forced": guess.forced, "unsure": guess.unsure,
            "speech_s": round(guess.speech_ms / 1000, 3),
            "windows_ms": [list(w) for w in guess.windows],
            "transcript_model": choice.model, "transcript_language": choice.language or "",
            "task": choice.task, "subtitle_language": choice.subtitle_language}
