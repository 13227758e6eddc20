"""Loudness measurement (ITU-R BS.1770 via pyloudnorm) and normalization without clipping."""

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


def integrated_lufs(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS; -inf for silence or audio shorter than one 400 ms block."""
    import pyloudnorm

    data = samples.astype(np.float64)
    block = 0.400
    if data.shape[0] < int(block * sample_rate):
        return float("-inf")
    meter = pyloudnorm.Meter(sample_rate)
    return float(meter.integrated_loudness(data))


def normalize_loudness(
    samples: np.ndarray, sample_rate: int, target_lufs: float
) -> tuple[np.ndarray, LoudnessResult]:
    """Apply one gain so the audio reaches ``target_lufs``, lowered if peaks would clip."""
    measured = integrated_lufs(samples, sample_rate)
    if not np.isfinite(measured):
        return samples, LoudnessResult(measured, measured, 0.0, False)
    gain_db = target_lufs - measured
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    limited = False
    if peak > 0 and peak * 10 ** (gain_db / 20) > PEAK_CEILING:
        gain_db = 20 * np.log10(PEAK_CEILING / peak)
        limited = True
    out = (samples * np.float32(10 ** (gain_db / 20))).astype(np.float32)
    return out, LoudnessResult(measured, measured + gain_db, float(gain_db), limited)
