"""Tempo and beat times with librosa's beat tracker (Ellis 2007 dynamic programming).

The onset-strength envelope is computed block by block (one minute at a time, 22.05 kHz
mono) so a long file never needs its whole spectrogram in memory; tempo estimation and beat
tracking then run on the concatenated envelope, which is small (86 values a second).
librosa is imported only here and only when beats are asked for (its import costs seconds).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22_050
HOP = 512
BLOCK_S = 60


@dataclass(frozen=True)
class BeatGrid:
    """Estimated tempo (beats per minute) and beat times in source milliseconds."""

    tempo_bpm: float
    beats_ms: tuple[int, ...]

    @property
    def beat_ms(self) -> float:
        """The median beat period (ms); 0 when fewer than two beats were found."""
        if len(self.beats_ms) < 2:
            return 60_000 / self.tempo_bpm if self.tempo_bpm > 0 else 0.0
        return float(np.median(np.diff(self.beats_ms)))

    def to_dict(self) -> dict[str, object]:
        return {"tempo_bpm": round(self.tempo_bpm, 2), "beat_count": len(self.beats_ms),
                "beat_ms": round(self.beat_ms, 1)}


def onset_envelope(samples: np.ndarray, rate: int = RATE) -> np.ndarray:
    """librosa's onset strength of mono ``samples`` (one value per ``HOP`` samples)."""
    import librosa

    env: np.ndarray = librosa.onset.onset_strength(y=samples.astype(np.float32), sr=rate,
                                                   hop_length=HOP)
    return env


def beats_from_envelope(env: np.ndarray, rate: int = RATE) -> BeatGrid:
    """Tempo and beats from an onset envelope; no beats for silence or too-short audio."""
    import librosa

    if env.size < 4 * rate // HOP or not np.any(env > 0):
        return BeatGrid(0.0, ())
    tempo, beats = librosa.beat.beat_track(onset_envelope=env, sr=rate, hop_length=HOP,
                                           units="time")
    bpm = float(np.atleast_1d(tempo)[0])
    return BeatGrid(bpm, tuple(round(float(t) * 1000) for t in np.atleast_1d(beats)))


def beats_of_file(path: Path, track: int = 0) -> BeatGrid:
    """Tempo and beats of audio track ``track`` of ``path`` (any ffmpeg-readable media),
    bounded memory."""
    from media_pipeline.audio.separation import stream_pcm

    hops = RATE * BLOCK_S // HOP  # a block is a whole number of hops
    parts = [onset_envelope(block[:, 0]) for block in
             stream_pcm(path, RATE, 1, hops * HOP, track) if block.shape[0] >= HOP * 4]
    if not parts:
        return BeatGrid(0.0, ())
    # A block's envelope has one frame per hop plus one for its end: drop that one so frame
    # times stay aligned across blocks.
    env = np.concatenate([p[:hops] if i < len(parts) - 1 else p for i, p in enumerate(parts)])
    return beats_from_envelope(env)
