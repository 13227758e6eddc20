"""Loudness measurement (ITU-R BS.1770, pyloudnorm's filters) and normalization without clipping."""

from dataclasses import dataclass

import numpy as np

PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS: headroom so resampling later cannot clip


@dataclass(frozen=True)
class LoudnessResult:
    """What normalization did: measured and reached loudness, gain, whether peaks limited it."""

    input_lufs: float
    output_lufs: float
    gain_db: float
    peak_limited: bool


BLOCK_S = 0.400
"""BS.1770's gating block; blocks overlap by 75%, so they step by a quarter of it."""
ABSOLUTE_GATE_LUFS = -70.0
CHUNK_S = 60
"""K-weighting runs a minute at a time: in float64, an hour at once was 460 MB a copy."""


CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)
"""BS.1770 weights per channel: L, R, C, then the surrounds."""


def integrated_lufs(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS of mono ``(n,)`` or ``(n, channels)`` samples (BS.1770-4
    gating, pyloudnorm's K-weighting and block layout, computed in chunks); -inf for silence
    or audio shorter than one 400 ms block."""
    block = int(BLOCK_S * sample_rate)
    n = samples.shape[0]
    if n < block:
        return float("-inf")
    channels = samples.reshape(n, -1)
    energy: np.ndarray = np.sum([CHANNEL_GAINS[c] * _block_energy(channels[:, c], sample_rate)
                                 for c in range(channels.shape[1])], axis=0)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(energy)
    above = loudness >= ABSOLUTE_GATE_LUFS
    if not above.any():
        return float("-inf")
    relative = -0.691 + 10 * np.log10(np.mean(energy[above])) - 10
    gated = (loudness > relative) & (loudness > ABSOLUTE_GATE_LUFS)
    if not gated.any():
        return float("-inf")
    return float(-0.691 + 10 * np.log10(np.mean(energy[gated])))


def _block_energy(channel: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean square of the K-weighted ``channel`` in each 400 ms block, 100 ms apart."""
    import pyloudnorm
    import scipy.signal

    block = int(BLOCK_S * sample_rate)
    hop = block // 4
    chunk = hop * (CHUNK_S * sample_rate // hop)
    stages = list(pyloudnorm.Meter(sample_rate)._filters.values())
    states = [np.zeros(max(len(f.a), len(f.b)) - 1) for f in stages]
    sums = []  # energy of each hop-long sub-block
    for start in range(0, channel.shape[0], chunk):
        x = channel[start:start + chunk].astype(np.float64)
        for k, f in enumerate(stages):
            x, states[k] = scipy.signal.lfilter(f.b, f.a, x, zi=states[k])
            x *= f.passband_gain
        x = np.concatenate([x, np.zeros(-x.size % hop)])
        sums.append(np.sum(np.square(x).reshape(-1, hop), axis=1))
    sub = np.concatenate([*sums, np.zeros(4)])
    count = int(np.round((channel.shape[0] / sample_rate - BLOCK_S) / (BLOCK_S / 4))) + 1
    energy: np.ndarray = (sub[:count] + sub[1:count + 1] + sub[2:count + 2]
                          + sub[3:count + 3]) / block
    return energy


def normalize_loudness(
    samples: np.ndarray, sample_rate: int, target_lufs: float, in_place: bool = False
) -> tuple[np.ndarray, LoudnessResult]:
    """Apply one gain so the audio reaches ``target_lufs``, lowered if peaks would clip;
    ``in_place`` scales float32 ``samples`` themselves (no second copy of a long file)."""
    measured = integrated_lufs(samples, sample_rate)
    if not np.isfinite(measured):
        return samples, LoudnessResult(measured, measured, 0.0, False)
    gain_db = target_lufs - measured
    peak = max(float(samples.max()), -float(samples.min())) if samples.size else 0.0
    limited = False
    if peak > 0 and peak * 10 ** (gain_db / 20) > PEAK_CEILING:
        gain_db = 20 * np.log10(PEAK_CEILING / peak)
        limited = True
    gain = np.float32(10 ** (gain_db / 20))
    if in_place and samples.dtype == np.float32:
        out = np.multiply(samples, gain, out=samples)
    else:
        out = np.multiply(samples, gain, dtype=np.float32)
    return out, LoudnessResult(measured, measured + gain_db, float(gain_db), limited)
