"""Tempo and beats from librosa's tracker, in source milliseconds."""

from pathlib import Path

import numpy as np

from media_pipeline.audio.beats import RATE, beats_of_file, track_beats


def click_track(bpm: float, seconds: float) -> np.ndarray:
    y = np.zeros(int(RATE * seconds), dtype=np.float32)
    click = (np.sin(2 * np.pi * 1000 * np.arange(400) / RATE) * np.hanning(400)).astype(
        np.float32)
    period = 60.0 / bpm
    for t in np.arange(0.5, seconds - 0.1, period):
        i = int(t * RATE)
        y[i: i + 400] += click
    return y


def test_click_track_tempo_and_beats() -> None:
    grid = track_beats(click_track(120.0, 12.0))
    assert abs(grid.tempo_bpm - 120.0) < 3
    gaps = np.diff(grid.beats_ms)
    assert abs(float(np.median(gaps)) - 500) < 15
    assert all(abs((b - 500) - 500 * round((b - 500) / 500)) < 40 for b in grid.beats_ms)


def test_silence_has_no_beats() -> None:
    grid = track_beats(np.zeros(RATE * 6, dtype=np.float32))
    assert grid.beats_ms == () and grid.tempo_bpm == 0.0


def test_corpus_song_tempo(corpus: Path) -> None:
    grid = beats_of_file(corpus / "lyrics" / "Fantasma_-_Los_Rombos.mp3")
    assert 100 < grid.tempo_bpm < 125  # a two-bar lyric line every ~4.3 s: 112 BPM
    assert len(grid.beats_ms) > 200 and grid.beats_ms == tuple(sorted(grid.beats_ms))
