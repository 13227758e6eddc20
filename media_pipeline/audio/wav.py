"""16-bit PCM WAV files written atomically (temp name, then rename)."""

import wave
from pathlib import Path

import numpy as np

from media_pipeline.atomic import atomic_path

CHUNK_SAMPLES = 16_000 * 60


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write mono float samples in [-1, 1] as 16-bit PCM; a crash leaves no partial file."""
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        # A minute at a time: converting an hour at once held four copies of it (~1 GB).
        for start in range(0, max(samples.shape[0], 1), CHUNK_SAMPLES):
            chunk = np.nan_to_num(samples[start:start + CHUNK_SAMPLES], nan=0.0, posinf=0.0,
                                  neginf=0.0)
            w.writeframes((np.clip(chunk, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit mono WAV written by :func:`write_wav` as float32."""
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    samples = data.astype(np.float32)
    samples *= np.float32(1 / 32768.0)  # in place: one float array, not two
    return samples, rate
