"""Mono 16-bit WAV in memory: the one audio format that crosses the provider boundary."""

import io
import wave
from dataclasses import dataclass

from media_pipeline.tts.errors import AudioProcessingError


@dataclass(frozen=True)
class PcmAudio:
    """Raw little-endian signed 16-bit mono samples and their rate."""

    pcm: bytes
    sample_rate: int

    @property
    def num_samples(self) -> int:
        """Number of samples (two bytes each)."""
        return len(self.pcm) // 2


def pcm_to_wav(pcm: bytes, sample_rate: int) -> bytes:
    """Wrap raw s16le mono samples in a WAV header."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def read_wav(wav_bytes: bytes) -> PcmAudio:
    """Read mono 16-bit WAV bytes; anything else is an ``AudioProcessingError``."""
    try:
        with wave.open(io.BytesIO(wav_bytes), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            pcm = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioProcessingError(f"chunk audio is not a WAV file: {exc}") from exc
    if channels != 1 or width != 2:
        raise AudioProcessingError(f"chunk audio must be mono 16-bit, got {channels}ch/{width}B")
    return PcmAudio(pcm=pcm, sample_rate=rate)
