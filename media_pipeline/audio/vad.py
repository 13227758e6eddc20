"""Speech regions with webrtcvad, and the cut map that remaps speech-only time to source time.

Transcribing only the speech regions (concatenated) saves model time on long silences; the
:class:`CutMap` then puts every timestamp back on the original file's timeline.
"""

import bisect
from dataclasses import dataclass

import numpy as np

VAD_RATES = (8000, 16000, 32000, 48000)
DIGITAL_SILENCE_DB = -70.0


@dataclass(frozen=True)
class VadOptions:
    """How speech is found.

    aggressiveness: webrtcvad mode, 0 keeps the most audio, 3 filters the most.
    frame_ms: 10, 20 or 30 (webrtcvad's only frame sizes).
    padding_ms: kept on each side of a region so word edges are not clipped.
    min_silence_ms: shorter pauses do not split a region.
    min_speech_ms: shorter bursts (clicks, beeps) are dropped.
    energy_gate_db: a frame must also be this many dB above the file's noise floor (its
        10th-percentile frame energy); webrtcvad alone calls steady hiss and radio noise
        speech. 0 turns the gate off.
    confirm_with_silero: a frame must also lie in (or near) speech found by the Silero model
        bundled with faster-whisper. webrtcvad decides frames; Silero vetoes beeps, static
        and music that webrtcvad and the energy gate let through, which otherwise send
        Whisper into slow temperature fallbacks and invented text. Off by default: it also
        misses hoarse or distant voices that webrtcvad and Whisper handle (MFA's
        "sickmichael" recording), and losing speech is worse than decoding some noise.
    """

    aggressiveness: int = 3
    frame_ms: int = 30
    padding_ms: int = 300
    min_silence_ms: int = 500
    min_speech_ms: int = 150
    energy_gate_db: float = 4.0
    confirm_with_silero: bool = False


@dataclass(frozen=True)
class SpeechRegion:
    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def frame_decisions(
    pcm16: bytes, sample_rate: int, aggressiveness: int, frame_ms: int
) -> list[bool]:
    """webrtcvad's speech/non-speech decision for each whole frame of 16-bit mono PCM."""
    import webrtcvad

    if sample_rate not in VAD_RATES:
        raise ValueError(f"webrtcvad needs one of {VAD_RATES} Hz, got {sample_rate}")
    if frame_ms not in (10, 20, 30):
        raise ValueError(f"frame_ms must be 10, 20 or 30, got {frame_ms}")
    vad = webrtcvad.Vad(aggressiveness)
    step = sample_rate * frame_ms // 1000 * 2
    return [
        vad.is_speech(pcm16[i : i + step], sample_rate)
        for i in range(0, len(pcm16) - step + 1, step)
    ]


CHUNK_SAMPLES = 16_000 * 60
"""Long arrays are converted a minute at a time (an hour at once held ~1 GB of copies)."""


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] to little-endian 16-bit PCM bytes."""
    pcm = np.empty(samples.shape[0], dtype="<i2")
    for start in range(0, samples.shape[0], CHUNK_SAMPLES):
        chunk = samples[start:start + CHUNK_SAMPLES]
        pcm[start:start + chunk.shape[0]] = np.clip(chunk, -1.0, 1.0) * 32767.0
    return pcm.tobytes()


def speech_regions(
    samples: np.ndarray, sample_rate: int, options: VadOptions = VadOptions()
) -> list[SpeechRegion]:
    """Padded, merged speech regions of mono float ``samples`` (times in ms)."""
    decisions = frame_decisions(
        to_pcm16(samples), sample_rate, options.aggressiveness, options.frame_ms
    )
    if options.energy_gate_db > 0:
        loud = frames_above_noise_floor(samples, sample_rate, options.frame_ms,
                                        options.energy_gate_db)
        decisions = [d and e for d, e in zip(decisions, loud, strict=False)]
    if options.confirm_with_silero and sample_rate == 16000:
        neural = silero_speech_frames(samples, options.frame_ms, options.padding_ms)
        decisions = [d and e for d, e in zip(decisions, neural, strict=False)]
    total_ms = samples.shape[0] * 1000 // sample_rate  # floor: never past the last sample
    return regions_from_decisions(decisions, options, total_ms)


def frames_above_noise_floor(
    samples: np.ndarray, sample_rate: int, frame_ms: int, margin_db: float
) -> list[bool]:
    """Per frame: is its energy ``margin_db`` above the 10th-percentile frame energy?"""
    step = sample_rate * frame_ms // 1000
    n = samples.shape[0] // step
    if n == 0:
        return []
    frames = samples[: n * step].reshape(n, step)
    per_chunk = max(1, CHUNK_SAMPLES // step)
    energy = np.concatenate([
        np.mean(np.square(frames[i:i + per_chunk], dtype=np.float64), axis=1)
        for i in range(0, n, per_chunk)])
    energy_db = 10 * np.log10(energy + 1e-12)
    # Digital silence (padding, fades) is not the recording's noise floor; counting it
    # would make the gate depend on how much padding a file happens to have.
    live = energy_db[energy_db > DIGITAL_SILENCE_DB]
    floor = float(np.percentile(live if live.size else energy_db, 10))
    return [bool(e) for e in energy_db > floor + margin_db]


def silero_speech_frames(samples: np.ndarray, frame_ms: int, margin_ms: int) -> list[bool]:
    """Per frame (16 kHz audio): is it within ``margin_ms`` of speech found by Silero VAD?"""
    from faster_whisper.vad import VadOptions as SileroOptions
    from faster_whisper.vad import get_speech_timestamps

    step = 16 * frame_ms
    n = samples.shape[0] // step
    mask = np.zeros(n, dtype=bool)
    margin = 16 * margin_ms
    for ts in get_speech_timestamps(samples, SileroOptions(min_silence_duration_ms=300)):
        lo = max(0, (ts["start"] - margin) // step)
        hi = min(n, -(-(ts["end"] + margin) // step))
        mask[lo:hi] = True
    return [bool(v) for v in mask]


def regions_from_decisions(
    decisions: list[bool], options: VadOptions, total_ms: int
) -> list[SpeechRegion]:
    """Turn per-frame decisions into regions: bridge short pauses, drop blips, pad, merge."""
    f = options.frame_ms
    raw: list[list[int]] = []
    for i, speech in enumerate(decisions):
        if not speech:
            continue
        start, end = i * f, (i + 1) * f
        if raw and start - raw[-1][1] < options.min_silence_ms:
            raw[-1][1] = end
        else:
            raw.append([start, end])
    kept = [r for r in raw if r[1] - r[0] >= options.min_speech_ms]
    padded: list[SpeechRegion] = []
    for start, end in kept:
        s = max(0, start - options.padding_ms)
        e = min(total_ms, end + options.padding_ms)
        if padded and s <= padded[-1].end_ms:
            padded[-1] = SpeechRegion(padded[-1].start_ms, max(e, padded[-1].end_ms))
        else:
            padded.append(SpeechRegion(s, e))
    return padded


@dataclass(frozen=True)
class CutMap:
    """Pieces of the source kept in the speech-only audio, in order.

    Each piece is ``(cut_start_ms, source_start_ms, length_ms)``.
    """

    pieces: tuple[tuple[int, int, int], ...]

    @classmethod
    def from_regions(cls, regions: list[SpeechRegion]) -> "CutMap":
        pieces, cut = [], 0
        for r in regions:
            pieces.append((cut, r.start_ms, r.duration_ms))
            cut += r.duration_ms
        return cls(tuple(pieces))

    @property
    def total_ms(self) -> int:
        if not self.pieces:
            return 0
        cut, _, length = self.pieces[-1]
        return cut + length

    def main_piece(self, cut_start_ms: int, cut_end_ms: int) -> tuple[int, int]:
        """The cut-time span of the piece holding most of ``cut_start_ms..cut_end_ms``.

        A word that straddles a seam mostly belongs to one side; clamping it there keeps the
        removed silence between words instead of inside one.
        """
        best, best_overlap = (cut_start_ms, cut_end_ms), -1
        for cut, _, length in self.pieces:
            overlap = min(cut_end_ms, cut + length) - max(cut_start_ms, cut)
            if overlap > best_overlap:
                best, best_overlap = (cut, cut + length), overlap
        return best

    def to_source_ms(self, cut_ms: int, is_end: bool = False) -> int:
        """Source time of ``cut_ms``; at a seam, an end time stays in the earlier piece."""
        if not self.pieces:
            return cut_ms
        starts = [p[0] for p in self.pieces]
        i = bisect.bisect_right(starts, cut_ms) - 1
        if is_end and i > 0 and cut_ms == starts[i]:
            i -= 1
        i = max(i, 0)
        cut_start, src_start, length = self.pieces[i]
        offset = min(max(cut_ms - cut_start, 0), length)
        return src_start + offset


def cut_speech(samples: np.ndarray, sample_rate: int, regions: list[SpeechRegion]) -> np.ndarray:
    """Concatenate the samples of ``regions`` (the audio the cut map describes)."""
    if not regions:
        return np.zeros(0, dtype=np.float32)
    parts = [
        samples[r.start_ms * sample_rate // 1000 : r.end_ms * sample_rate // 1000]
        for r in regions
    ]
    return np.concatenate(parts).astype(np.float32, copy=False)
