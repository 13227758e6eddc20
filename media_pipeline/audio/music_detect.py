"""Is this audio music? The heuristic behind ``separation: auto``.

Speech pauses between syllables and words, and its spectrum changes every few tens of
milliseconds; music (sung or not) holds notes and chords, so its level rarely drops and its
spectral shape stays put. Noise and test tones are steady too, but flat-spectrum or without
any level changes. The decision uses four numbers per 30-second window of 16 kHz mono audio
(25 ms frames, 10 ms hop), after Scheirer & Slaney (ICASSP 1997):

* ``low_energy``: share of frames quieter than half the mean level of the second around
  them. Speech 0.3–0.5, music under 0.15.
* ``stability``: median cosine similarity of magnitude spectra 200 ms apart (150–6250 Hz).
  Speech 0.4–0.7, music over 0.78.
* ``dynamics_db``: standard deviation of the frame level in dB. Noise and tones under 3 dB,
  music and speech 5–30 dB.
* ``flatness``: median spectral flatness. White or pink noise over 0.6, music under 0.2.

A window is music when ``low_energy < 0.2``, ``stability > 0.75``, ``dynamics_db > 4``,
``flatness < 0.5`` and its level is above -50 dBFS. The file is music when at least half of
its analysed windows are (up to :data:`MAX_WINDOWS` windows spread evenly over the file, so
an hour costs no more than six minutes of decoding).
"""

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.audio.tracks import ffmpeg_map

RATE = 16_000
WINDOW_S = 30.0
MAX_WINDOWS = 12
_FRAME = 400  # 25 ms
_HOP = 160  # 10 ms


@dataclass(frozen=True)
class WindowFeatures:
    """The numbers of one analysed window (see the module docstring)."""

    start_s: float
    low_energy: float
    stability: float
    dynamics_db: float
    flatness: float
    level_db: float

    @property
    def is_music(self) -> bool:
        return (self.low_energy < 0.2 and self.stability > 0.75 and self.dynamics_db > 4.0
                and self.flatness < 0.5 and self.level_db > -50.0)


@dataclass(frozen=True)
class MusicDecision:
    """Whether the audio is music, and the evidence."""

    is_music: bool
    music_share: float
    windows: tuple[WindowFeatures, ...]

    def to_dict(self) -> dict[str, object]:
        return {"is_music": self.is_music, "music_share": round(self.music_share, 3),
                "windows": [{k: round(v, 3) for k, v in asdict(w).items()}
                            for w in self.windows]}


def window_features(samples: np.ndarray, start_s: float = 0.0) -> WindowFeatures | None:
    """Features of one window of 16 kHz mono float samples; None when under two seconds."""
    n = (samples.shape[0] - _FRAME) // _HOP
    if n < 200:
        return None
    idx = np.arange(_FRAME)[None, :] + _HOP * np.arange(n)[:, None]
    frames = samples[idx].astype(np.float64) * np.hanning(_FRAME)
    rms = np.sqrt((frames**2).mean(axis=1)) + 1e-9
    local = np.convolve(rms, np.ones(100) / 100, mode="same")  # one second around each frame
    low_energy = float((rms < 0.5 * local).mean())
    spectra = np.abs(np.fft.rfft(frames, n=512, axis=1))[:, 5:200]  # 156..6250 Hz
    unit = spectra / (np.linalg.norm(spectra, axis=1, keepdims=True) + 1e-9)
    stability = float(np.median((unit[:-20] * unit[20:]).sum(axis=1)))
    level = 20 * np.log10(rms)
    geometric = np.exp(np.log(spectra + 1e-9).mean(axis=1))
    flatness = float(np.median(geometric / (spectra.mean(axis=1) + 1e-9)))
    mean_level = 10 * np.log10(float((rms**2).mean()) + 1e-12) + 3.0  # Hann window loss
    return WindowFeatures(start_s, low_energy, stability, float(level.std()), flatness,
                          float(mean_level))


def classify_windows(windows: list[WindowFeatures]) -> MusicDecision:
    """Music when at least half of the windows are."""
    if not windows:
        return MusicDecision(False, 0.0, ())
    share = sum(w.is_music for w in windows) / len(windows)
    return MusicDecision(share >= 0.5, share, tuple(windows))


def detect_music(path: Path, duration_s: float, track: int = 0) -> MusicDecision:
    """Decide whether audio track ``track`` (from 0) of the file at ``path``
    (``duration_s`` long) is music."""
    count = max(1, min(MAX_WINDOWS, int(np.ceil(duration_s / WINDOW_S))))
    span = max(0.0, duration_s - WINDOW_S)
    starts = [span * i / (count - 1) if count > 1 else 0.0 for i in range(count)]
    windows = []
    for start in starts:
        feats = window_features(_decode_window(path, start, WINDOW_S, track), start)
        if feats is not None:
            windows.append(feats)
    return classify_windows(windows)


def _decode_window(path: Path, start_s: float, seconds: float,
                   track: int = 0) -> np.ndarray:
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
           "-ss", f"{start_s:.3f}", "-t", f"{seconds:.3f}", "-i", str(path),
           "-map", ffmpeg_map(track), "-vn", "-ac", "1", "-ar", str(RATE),
           "-f", "f32le", "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()
