"""Stage 'transcribing' without Dagster: recognition over the speech regions, as JSON."""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from media_pipeline.asr.transcribe import AsrOptions, Transcript
from media_pipeline.atomic import write_json_atomic
from media_pipeline.audio.vad import SpeechRegion
from media_pipeline.audio.wav import read_wav
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.subtitles.model import Word


class Recognizer(Protocol):
    """Speech recognition over the speech ``regions`` of ``samples`` (resources/whisper.py)."""

    def __call__(self, samples: np.ndarray, rate: int, regions: list[SpeechRegion],
                 options: AsrOptions, on_progress: Callable[[float], None] | None = None,
                 ) -> Transcript:
        ...


def load_regions(path: Path) -> list[SpeechRegion]:
    """The speech regions ``speech_regions_step`` wrote."""
    return [SpeechRegion(s, e) for s, e in json.loads(path.read_text())["regions"]]


def transcript_step(wav: Path, regions_file: Path, recognize: Recognizer, options: AsrOptions,
                    out_dir: Path, on_progress: Callable[[float], None] | None = None,
                    ) -> StepResult:
    """``transcript.json``: words with probabilities and times on the source timeline."""
    samples, rate = read_wav(wav)
    regions = load_regions(regions_file)
    started = time.perf_counter()
    transcript = recognize(samples, rate, regions, options, on_progress=on_progress)
    seconds = time.perf_counter() - started
    write_json_atomic(out_dir / "transcript.json", transcript_to_dict(transcript))
    audio_s = samples.shape[0] / rate
    info = {"language": transcript.language,
            "language_probability": round(transcript.language_probability, 3),
            "segments": len(transcript.segments), "word_count": len(transcript.words),
            "dropped_segments": transcript.dropped_segments,
            "redecoded_windows": transcript.redecoded_windows,
            "speech_s": round(transcript.speech_ms / 1000, 3),
            "seconds": round(seconds, 3),
            "real_time_factor": round(seconds / audio_s, 4) if audio_s else 0.0,
            "empty": not transcript.segments}
    return {"transcript": "transcript.json"}, info


def transcript_to_dict(t: Transcript) -> dict[str, Any]:
    return {
        "language": t.language, "language_probability": t.language_probability,
        "speech_ms": t.speech_ms, "dropped_segments": t.dropped_segments,
        "segments": [{"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text,
                      "avg_logprob": s.avg_logprob, "no_speech_prob": s.no_speech_prob,
                      "words": [[w.text, w.start_ms, w.end_ms, w.probability] for w in s.words]}
                     for s in t.segments],
    }


def load_transcript_words(path: Path) -> tuple[list[Word], dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    words = [Word(t, int(s), int(e), float(p))
             for seg in data["segments"] for t, s, e, p in seg["words"]]
    return words, data
