from pathlib import Path

import numpy as np
import pytest
import soundfile

from media_pipeline.audio.loudness import PEAK_CEILING, integrated_lufs, normalize_loudness


def expected_values(corpus: Path) -> dict[str, float]:
    rows = {}
    for line in (corpus / "pyloudnorm" / "expected_loudness.tsv").read_text().splitlines():
        if line.startswith(("#", "file")) or not line.strip():
            continue
        cols = line.split("\t")
        if cols[1] == "yes" and cols[2]:
            rows[cols[0]] = float(cols[2])
    return rows


def test_integrated_loudness_matches_reference_files(corpus: Path) -> None:
    expected = expected_values(corpus)
    assert len(expected) >= 3
    for name, lufs in expected.items():
        data, rate = soundfile.read(corpus / "pyloudnorm" / name)
        assert integrated_lufs(data, rate) == pytest.approx(lufs, abs=0.1), name


def test_normalize_reaches_target_without_clipping(corpus: Path) -> None:
    data, rate = soundfile.read(corpus / "librispeech" / "61-70968-0000.flac", dtype="float32")
    out, result = normalize_loudness(data, rate, -20.0)
    assert integrated_lufs(out, rate) == pytest.approx(-20.0, abs=0.1)
    assert result.output_lufs == pytest.approx(-20.0, abs=0.1)
    assert not result.peak_limited
    assert np.max(np.abs(out)) <= 1.0


def test_peaks_limit_the_gain_instead_of_clipping() -> None:
    rate = 16000
    t = np.arange(rate * 2) / rate
    quiet = (0.01 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    quiet[rate] = 0.9  # one loud click: full gain would clip it
    out, result = normalize_loudness(quiet, rate, -10.0)
    assert result.peak_limited
    assert np.max(np.abs(out)) <= PEAK_CEILING + 1e-6
    assert result.output_lufs < -10.0


def test_silence_is_left_alone() -> None:
    silent = np.zeros(16000, dtype=np.float32)
    out, result = normalize_loudness(silent, 16000, -20.0)
    assert result.gain_db == 0.0
    assert not np.any(out)
