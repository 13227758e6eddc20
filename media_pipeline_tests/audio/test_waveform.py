import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media_pipeline.audio import waveform
from media_pipeline.audio.waveform import compute_peaks, render_png


def test_peaks_are_audiowaveform_json() -> None:
    rate = 16000
    samples = np.zeros(rate, dtype=np.float32)
    samples[:256] = 0.5
    samples[256:512] = -1.0
    peaks = compute_peaks(samples, rate)
    doc = json.loads(json.dumps(peaks.to_json()))
    assert {k: doc[k] for k in ("version", "channels", "sample_rate", "samples_per_pixel",
                                 "bits")} == {"version": 2, "channels": 1, "sample_rate": 16000,
                                              "samples_per_pixel": 256, "bits": 8}
    assert doc["length"] == -(-rate // 256) == len(doc["data"]) // 2
    assert doc["data"][:6] == [0, 64, -128, 0, 0, 0]  # min, max pairs; 8-bit range
    assert all(-128 <= v <= 127 for v in doc["data"])
    assert peaks.duration_ms == pytest.approx(1000, abs=20)


def test_16_bit_peaks_and_long_files_get_a_coarser_zoom(
        monkeypatch: pytest.MonkeyPatch) -> None:
    peaks = compute_peaks(np.full(1000, 0.25, dtype=np.float32), 8000, 100, bits=16)
    assert peaks.maxs[0] == 8192
    monkeypatch.setattr(waveform, "MAX_PAIRS", 100)
    long = compute_peaks(np.zeros(100 * 256 * 3, dtype=np.float32), 16000)
    assert long.length <= 100 and long.samples_per_pixel == 1024
    with pytest.raises(ValueError):
        compute_peaks(np.zeros(10, dtype=np.float32), 16000, bits=12)


def test_png_shows_waveform_regions_and_cues(tmp_path: Path) -> None:
    rate = 16000
    t = np.arange(rate * 10) / rate
    samples = (0.8 * np.sin(2 * np.pi * 220 * t) * (t < 5)).astype(np.float32)
    peaks = compute_peaks(samples, rate)
    path = render_png(peaks, tmp_path / "w.png", regions_ms=[(0, 5000)], cues_ms=[(1000, 4000)],
                      width=400, height=120)
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert img.shape == (120, 400, 3)
    top, bottom, middle = img[2], img[-2], img[40]  # 20 px above the centre line

    def lit(row: np.ndarray, x: int) -> bool:
        return bool(row[x].sum() > 250)

    assert lit(top, 100) and not lit(top, 300)        # speech region: first half only
    assert lit(bottom, 100) and not lit(bottom, 20) and not lit(bottom, 300)  # cue 1-4 s
    assert lit(middle, 100) and not lit(middle, 330)  # loud sine, then silence
    assert not list(tmp_path.glob(".*.tmp"))


def test_ticks_are_labelled_with_their_time(tmp_path: Path) -> None:
    from media_pipeline.audio.waveform import time_label

    assert [time_label(ms) for ms in (5000, 60_000, 605_000, 3_725_000)] == [
        "5 s", "1:00", "10:05", "1:02:05"]
    peaks = compute_peaks(np.zeros(16000 * 10, dtype=np.float32), 16000)
    path = render_png(peaks, tmp_path / "w.png", width=400, height=120)
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    text = img[95:110, 243:263].sum(axis=2) > 300  # right of the 6 s tick, above the cues
    blank = img[95:110, 263:276].sum(axis=2) > 300  # between that label and the next tick
    assert text.sum() > 15 and blank.sum() == 0


def test_png_of_empty_audio(tmp_path: Path) -> None:
    peaks = compute_peaks(np.zeros(0, dtype=np.float32), 16000)
    assert peaks.length == 0 and peaks.to_json()["data"] == []
    assert render_png(peaks, tmp_path / "e.png").exists()


def test_png_colours_each_speakers_turns(tmp_path: Path) -> None:
    rate = 16000
    t = np.arange(rate * 10) / rate
    peaks = compute_peaks((0.8 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)
    path = render_png(peaks, tmp_path / "w.png", cues_ms=[(0, 4000), (5000, 9000)],
                      width=400, height=120, cue_speakers=[0, 1])
    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    first, second = img[-2, 80], img[-2, 280]
    assert np.abs(first - second).sum() > 100  # two speakers, two colours
    assert np.abs(img[60, 80] - first).sum() < 40 and np.abs(img[60, 280] - second).sum() < 40
