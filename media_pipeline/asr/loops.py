"""Repetition loops: how to see them in a decoded window, and how to decode it again.

Batched decoding has no temperature fallback: a window whose beam falls into a loop ("okay,
okay, okay…" over Apollo 11 radio) comes out as it is, and on long files such windows are
common (an hour of corpus speech gave 12% loop cues). A window whose text loops is decoded
again alone with no 3-word sequence allowed twice (CTranslate2's no_repeat_ngram_size),
which breaks the loop at the cost of one more window; what still loops after that is dropped
rather than written as subtitles.
"""

import itertools
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

COMPRESSION_RATIO_LIMIT = 2.4
"""Whisper's own threshold: text that gzip shrinks more than this is repetitive."""
MIN_RATIO_CHARS = 120
"""Shorter texts compress too little to judge by ratio (run length still applies)."""
REPEAT_RUN = 4
"""A word said this many times in a row is a loop (the acceptance's definition)."""
NO_REPEAT_NGRAM = 3
"""The re-decode may not repeat any 3-word sequence: a loop cannot start again."""


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def longest_run(text: str) -> int:
    """The longest run of one word repeated back to back in ``text``."""
    words = _words(text)
    best = run = 1 if words else 0
    for a, b in itertools.pairwise(words):
        run = run + 1 if a == b else 1
        best = max(best, run)
    return best


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def looks_looped(text: str) -> bool:
    """A word 4+ times in a row, or (for longer text) gzip shrinking it past Whisper's 2.4."""
    if longest_run(text) >= REPEAT_RUN:
        return True
    return len(text) >= MIN_RATIO_CHARS and compression_ratio(text) > COMPRESSION_RATIO_LIMIT


@dataclass(frozen=True)
class DecodedWord:
    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class DecodedSegment:
    """A faster-whisper segment moved onto the cut timeline (seconds)."""

    start: float
    end: float
    text: str
    words: tuple[DecodedWord, ...]
    avg_logprob: float
    no_speech_prob: float


def shifted(segments: Iterable[Any], offset_s: float) -> list[DecodedSegment]:
    """faster-whisper segments with every time moved by ``offset_s``."""
    return [DecodedSegment(
        s.start + offset_s, s.end + offset_s, s.text,
        tuple(DecodedWord(w.word, w.start + offset_s, w.end + offset_s, w.probability)
              for w in (s.words or [])),
        float(s.avg_logprob), float(s.no_speech_prob)) for s in segments]


def redecode_window(pipeline: Any, speech: np.ndarray, start_ms: int, end_ms: int,
                    language: str | None, task: str, beam_size: int) -> list[DecodedSegment]:
    """Window ``start_ms``..``end_ms`` of ``speech`` decoded again alone, no 3-word sequence
    allowed twice; segments that still loop are left out.

    On the looping Apollo 11 window this gave the radio's words in 1.2 s of CPU; Whisper's
    sequential temperature fallback took 8.6 s, and with carried context still looped.
    """
    segments, _ = pipeline.transcribe(
        speech, language=language, task=task, beam_size=beam_size, word_timestamps=True,
        clip_timestamps=[{"start": start_ms / 1000, "end": end_ms / 1000}], batch_size=1,
        no_repeat_ngram_size=NO_REPEAT_NGRAM)
    return [s for s in shifted(segments, 0.0) if not looks_looped(s.text)]
