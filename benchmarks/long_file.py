"""Long files for the throughput benchmark: built from corpus speech, and judged for loops.

``build_long_file`` concatenates corpus speech (LibriSpeech, FLEURS English, the 2-minute
story, JFK, the Apollo 11 radio) with short pauses until it lasts ``target_s``, as the issue's
hour was built. ``loop_report`` counts what a looping decoder leaves in an SRT: cues with one
word 4+ times in a row, cues identical to their neighbour, and the last cue's end against the
file's length.
"""

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CORPUS
from media_pipeline.audio.decode import SPEECH_RATE, decode_mono
from media_pipeline.audio.wav import write_wav

SOURCES = (
    *sorted((CORPUS / "librispeech").glob("*.flac")),
    *sorted((CORPUS / "librispeech").glob("sense*.wav")),
    *sorted((CORPUS / "fleurs").glob("fleurs-en-*.ogg")),
    CORPUS / "long" / "fairytale-en.ogg",
    CORPUS / "jfk" / "jfk.flac",
    CORPUS / "misc" / "apollo11.mp3",
)
PAUSES_S = (0.4, 1.2, 2.5, 0.8, 6.0)
"""Pauses between the pieces, cycled: a seam, a breath, a scene change."""


def build_long_file(target_s: float, out: Path) -> Path:
    """A 16 kHz mono WAV of corpus speech lasting ``target_s`` (written to ``out``)."""
    pieces = [decode_mono(p, SPEECH_RATE, 0) for p in SOURCES if p.exists()]
    total = int(target_s * SPEECH_RATE)
    audio = np.zeros(total, dtype=np.float32)
    at, n = 0, 0
    while at < total:
        piece = pieces[n % len(pieces)][: total - at]
        audio[at: at + piece.size] = piece
        at += piece.size + int(PAUSES_S[n % len(PAUSES_S)] * SPEECH_RATE)
        n += 1
    write_wav(out, audio, SPEECH_RATE)
    return out


_TIME = re.compile(r"(\d+):(\d+):(\d+)[,.](\d+) --> (\d+):(\d+):(\d+)[,.](\d+)")


def srt_cues(text: str) -> list[tuple[float, float, str]]:
    """(start_s, end_s, text) of every cue of an SRT file."""
    cues = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        for i, line in enumerate(lines):
            m = _TIME.search(line)
            if m:
                g = [int(x) for x in m.groups()]
                start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
                end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
                cues.append((start, end, " ".join(lines[i + 1:]).strip()))
                break
    return cues


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def is_loop_cue(text: str) -> bool:
    """One word said 4+ times in a row ("okay, okay, okay, okay")."""
    words = _words(text)
    run = 1
    for a, b in itertools.pairwise(words):
        run = run + 1 if a == b else 1
        if run >= 4:
            return True
    return False


def loop_report(srt_text: str, duration_s: float) -> dict[str, Any]:
    """Loop cues, identical neighbours, and how far the last cue ends past the file."""
    cues = srt_cues(srt_text)
    loops = [c for c in cues if is_loop_cue(c[2])]
    same = sum(1 for a, b in itertools.pairwise(cues)
               if _words(a[2]) and _words(a[2]) == _words(b[2]))
    last_end = max((c[1] for c in cues), default=0.0)
    return {"cues": len(cues), "loop_cues": len(loops),
            "loop_seconds": round(sum(c[1] - c[0] for c in loops), 1),
            "identical_neighbours": same,
            "last_cue_end_s": round(last_end, 2), "duration_s": round(duration_s, 2),
            "past_end_s": round(max(0.0, last_end - duration_s), 2),
            "loop_examples": [c[2][:80] for c in loops[:3]]}
