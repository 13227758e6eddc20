"""Tempo and beats from librosa's tracker, in source milliseconds."""

import wave
from pathlib import Path

import numpy as np

from media_pipeline.audio.beats import (
    BLOCK_S,
    RATE,
    beats_from_envelope,
    beats_of_file,
    onset_envelope,
)


def click_track(bpm: float, seconds: float) -> np.ndarray:
    y = np.zeros(int(RATE * seconds), dtype=np.float32)
    click = (np.sin(2 * np.pi * 1000 * np.arange(400) / RATE) * np.hanning(400)).astype(
        np.float32)
    period = 60.0 / bpm
    for t in np.arange(0.5, seconds - 0.1, period):
        i = int(t * RATE)
        y[i: i + 400] += click
    return y


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def assert_on_grid(beats_ms: tuple[int, ...], tolerance_ms: float = 40) -> None:
    """Beats every 500 ms from 500 ms (the clicks of a 120 BPM ``click_track``)."""
    assert abs(float(np.median(np.diff(beats_ms))) - 500) < 15
    assert all(abs((b - 500) - 500 * round((b - 500) / 500)) < tolerance_ms for b in beats_ms)


def test_click_track_tempo_and_beats() -> None:
    grid = beats_from_envelope(onset_envelope(click_track(120.0, 12.0)))
    assert abs(grid.tempo_bpm - 120.0) < 3
    assert_on_grid(grid.beats_ms)


def test_silence_has_no_beats() -> None:
    grid = beats_from_envelope(onset_envelope(np.zeros(RATE * 6, dtype=np.float32)))
    assert grid.beats_ms == () and grid.tempo_bpm == 0.0


def test_file_beats_match_the_whole_signal_across_blocks(tmp_path: Path) -> None:
    # Longer than one decoding block, so the envelope is stitched from two parts; the beats
    # must be those of the unsplit signal (a frame lost or doubled at the seam would shift
    # every later beat).
    clicks = click_track(120.0, BLOCK_S + 12.0)
    whole = beats_from_envelope(onset_envelope(clicks))
    grid = beats_of_file(write_wav(tmp_path / "clicks.wav", clicks))
    assert grid.tempo_bpm == whole.tempo_bpm and abs(grid.tempo_bpm - 120.0) < 3
    assert len(grid.beats_ms) == len(whole.beats_ms) and grid.beats_ms[-1] > BLOCK_S * 1000
    seam_ms = BLOCK_S * 1000
    for got, expected in zip(grid.beats_ms, whole.beats_ms, strict=True):
        assert abs(got - expected) <= (30 if abs(expected - seam_ms) < 1000 else 2)
    assert_on_grid(grid.beats_ms, tolerance_ms=60)


def test_silent_file_has_no_beats(tmp_path: Path) -> None:
    grid = beats_of_file(write_wav(tmp_path / "silence.wav", np.zeros(RATE * 6, np.float32)))
    assert grid.beats_ms == () and grid.tempo_bpm == 0.0


def test_corpus_song_tempo(corpus: Path) -> None:
    grid = beats_of_file(corpus / "lyrics" / "Fantasma_-_Los_Rombos.mp3")
    assert 100 < grid.tempo_bpm < 125  # a two-bar lyric line every ~4.3 s: 112 BPM
    assert len(grid.beats_ms) > 200 and grid.beats_ms == tuple(sorted(grid.beats_ms))
