"""Stage 'transcribing' without Dagster: recognition over the speech regions, as JSON.

Files with little speech are decoded together (:func:`transcribe_short_files`): a 10 s clip
is one 30 s window, and one batch of eight clips costs about what one clip alone does.
"""

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from media_pipeline.asr.transcribe import AsrOptions, SpeechClip, Transcript
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


class ManyRecognizer(Protocol):
    """Speech recognition over several files' speech in shared batches, one transcript each."""

    def __call__(self, clips: list[SpeechClip], options: AsrOptions) -> list[Transcript]:
        ...


SHARED_MAX_SPEECH_MS = 300_000
"""A file with at most this much speech (ten windows) shares batches with other files; a
longer one fills its own, and reports its progress as it goes."""
SHARED_MAX_WAV_BYTES = 16 << 20
"""At most this much decoded audio (about 9 minutes) is held for one shared batch: held as
floats, cut to speech and joined, a group holds about four times its WAV bytes."""


@dataclass(frozen=True)
class PendingTranscript:
    """A file whose transcript is to be made: its audio, speech regions and how."""

    key: str
    wav: Path
    regions: Path
    model: str
    options: AsrOptions


@dataclass(frozen=True)
class ReadyTranscript:
    """A transcript made ahead of its step, with what the step reports about it."""

    transcript: Transcript
    audio_s: float
    seconds: float
    """This file's share of its shared batch's time (by speech)."""
    files: int = 1
    """How many files were decoded in the same batches (1: alone)."""


def transcribe_short_files(pending: list[PendingTranscript],
                           recognizer: Callable[[str], ManyRecognizer],
                           ) -> dict[str, ReadyTranscript]:
    """Transcripts of the files of ``pending`` with little speech and a known language, made
    in shared batches per model and options; other files are left to one at a time. A
    failing batch is left out whole, so a bad file fails later in its own step."""
    ready: dict[str, ReadyTranscript] = {}
    for group in _shared_groups(pending):
        try:
            ready.update(_transcribe_group(group, recognizer(group[0][0].model)))
        except Exception:  # each file is then transcribed alone, and fails alone
            continue
    return ready


_Short = tuple[PendingTranscript, list[SpeechRegion]]


def _shared_groups(pending: list[PendingTranscript]) -> Iterator[list[_Short]]:
    """Groups of at least two short files (with their speech regions) with the same model
    and options, each holding at most ``SHARED_MAX_WAV_BYTES`` of audio."""
    by_how: dict[tuple[str, AsrOptions], list[_Short]] = {}
    for item in pending:
        if not item.options.english_only and not item.options.language:
            continue  # Whisper detects per batch: such a file decides its own language
        regions = load_regions(item.regions)
        if sum(r.end_ms - r.start_ms for r in regions) <= SHARED_MAX_SPEECH_MS:
            by_how.setdefault((item.model, item.options), []).append((item, regions))
    for items in by_how.values():
        group: list[_Short] = []
        held = 0
        for item, regions in items:
            size = item.wav.stat().st_size
            if group and held + size > SHARED_MAX_WAV_BYTES:
                yield from [group] if len(group) > 1 else []
                group, held = [], 0
            group.append((item, regions))
            held += size
        if len(group) > 1:
            yield group


def _transcribe_group(group: list[_Short], recognize: ManyRecognizer,
                      ) -> dict[str, ReadyTranscript]:
    clips: list[SpeechClip] = []
    for item, regions in group:
        samples, rate = read_wav(item.wav)
        clips.append(SpeechClip(samples, rate, regions))
    started = time.perf_counter()
    transcripts = recognize(clips, group[0][0].options)
    seconds = time.perf_counter() - started
    speech = sum(t.speech_ms for t in transcripts) or 1
    return {item.key: ReadyTranscript(t, clip.samples.shape[0] / clip.sample_rate,
                                       seconds * t.speech_ms / speech, len(group))
            for (item, _), clip, t in zip(group, clips, transcripts, strict=True)}


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
    return write_transcript(ReadyTranscript(transcript, samples.shape[0] / rate, seconds),
                            out_dir)


def write_transcript(ready: ReadyTranscript, out_dir: Path) -> StepResult:
    """``transcript.json`` of a transcript made, and what the step reports about it."""
    transcript, audio_s, seconds = ready.transcript, ready.audio_s, ready.seconds
    write_json_atomic(out_dir / "transcript.json", transcript_to_dict(transcript))
    info = {"language": transcript.language,
            "language_probability": round(transcript.language_probability, 3),
            "segments": len(transcript.segments), "word_count": len(transcript.words),
            "dropped_segments": transcript.dropped_segments,
            "redecoded_windows": transcript.redecoded_windows,
            "speech_s": round(transcript.speech_ms / 1000, 3),
            "seconds": round(seconds, 3), "decoded_with_files": ready.files,
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
