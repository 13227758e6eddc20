"""Waveform peaks in audiowaveform's JSON format, and a PNG with speech regions and cues.

The JSON is what BBC's ``audiowaveform`` writes (version 2, one channel, interleaved
min/max pairs), so web players such as peaks.js can load it directly. The PNG is drawn
with numpy and Pillow: the waveform in the middle, speech regions as a band on top and
cue spans as bars underneath, one column per time slice.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from media_pipeline.atomic import atomic_path

if TYPE_CHECKING:
    from PIL import Image

#: audiowaveform's default zoom: input samples summarised by one min/max pair.
DEFAULT_SAMPLES_PER_PIXEL = 256
#: Long files get a coarser zoom so the JSON stays a few megabytes at most.
MAX_PAIRS = 200_000

_BACKGROUND = (24, 26, 32)
_WAVE = (120, 190, 255)
_REGION = (70, 160, 90)
_CUE = (240, 180, 60)
_CUE_ALT = (200, 120, 40)
_TICK = (80, 84, 96)
_LABEL = (150, 156, 170)
#: One colour per speaker (cue bars and the waveform under their cues), in order of first
#: appearance; used only when a file has more than one speaker.
_SPEAKERS = ((120, 190, 255), (255, 200, 90), (240, 120, 160), (130, 220, 130),
             (190, 150, 255), (255, 150, 90), (90, 220, 220), (220, 220, 220))
# The font shipped for burned-in subtitles: labels look the same on every machine.
_FONT = Path(__file__).resolve().parents[1] / "fonts" / "DejaVuSans.ttf"


@dataclass(frozen=True)
class WaveformPeaks:
    """Min/max pairs of one channel; values are signed integers of ``bits`` bits."""

    sample_rate: int
    samples_per_pixel: int
    bits: int
    mins: np.ndarray
    maxs: np.ndarray

    @property
    def length(self) -> int:
        return int(self.mins.shape[0])

    @property
    def duration_ms(self) -> int:
        return self.length * self.samples_per_pixel * 1000 // self.sample_rate

    def to_json(self) -> dict[str, object]:
        """The audiowaveform JSON document (format version 2)."""
        data = np.empty(2 * self.length, dtype=np.int64)
        data[0::2] = self.mins
        data[1::2] = self.maxs
        return {"version": 2, "channels": 1, "sample_rate": self.sample_rate,
                "samples_per_pixel": self.samples_per_pixel, "bits": self.bits,
                "length": self.length, "data": data.tolist()}


def compute_peaks(samples: np.ndarray, sample_rate: int,
                  samples_per_pixel: int = DEFAULT_SAMPLES_PER_PIXEL,
                  bits: int = 8) -> WaveformPeaks:
    """Min/max of every ``samples_per_pixel`` mono float samples in [-1, 1]."""
    if bits not in (8, 16):
        raise ValueError("bits must be 8 or 16")
    if samples_per_pixel < 1:
        raise ValueError("samples_per_pixel must be positive")
    mono = np.asarray(samples, dtype=np.float32).reshape(-1)
    while -(-mono.shape[0] // samples_per_pixel) > MAX_PAIRS:
        samples_per_pixel *= 2
    n = -(-mono.shape[0] // samples_per_pixel)
    padded = np.zeros(n * samples_per_pixel, dtype=np.float32)
    padded[: mono.shape[0]] = mono
    frames = padded.reshape(n, samples_per_pixel) if n else padded.reshape(0, samples_per_pixel)
    # As audiowaveform does: 16-bit sample values, divided by 256 for 8 bits.
    lo = np.clip(np.round(frames.min(axis=1, initial=0.0) * 32768), -32768, 32767)
    hi = np.clip(np.round(frames.max(axis=1, initial=0.0) * 32768), -32768, 32767)
    lo_i, hi_i = lo.astype(np.int32), hi.astype(np.int32)
    if bits == 8:
        lo_i, hi_i = lo_i >> 8, hi_i >> 8
    return WaveformPeaks(sample_rate, samples_per_pixel, bits, lo_i, hi_i)


def render_png(peaks: WaveformPeaks, path: Path, regions_ms: Sequence[tuple[int, int]] = (),
               cues_ms: Sequence[tuple[int, int]] = (), width: int = 1200,
               height: int = 180, cue_speakers: Sequence[int] = ()) -> Path:
    """Draw the waveform with speech regions (top band) and cue spans (bottom bars).

    ``cue_speakers``: each cue's speaker index (-1: none); given for a file with several
    speakers, each speaker's cue bars and the waveform under them take its own colour.
    """
    from PIL import Image

    band = max(6, height // 12)
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[:] = _BACKGROUND
    total_ms = max(peaks.duration_ms, 1)

    def col(ms: int) -> int:
        return min(width, max(0, round(ms * width / total_ms)))

    for start, end in regions_ms:
        img[0:band, col(start) : max(col(end), col(start) + 1)] = _REGION
    for start, _ in regions_ms[1:]:  # adjacent regions stay distinguishable
        img[0:band, min(col(start), width - 1)] = _BACKGROUND
    wave = np.tile(np.array(_WAVE, dtype=np.uint8), (width, 1))
    for i, (start, end) in enumerate(cues_ms):
        who = cue_speakers[i] if i < len(cue_speakers) else -1
        colour = _SPEAKERS[who % len(_SPEAKERS)] if who >= 0 else (
            _CUE if i % 2 == 0 else _CUE_ALT)
        img[height - band : height, col(start) : max(col(end), col(start) + 1)] = colour
        if who >= 0:
            wave[col(start) : max(col(end), col(start) + 1)] = colour
    step_ms = _tick_step(total_ms)
    for t in range(step_ms, total_ms, step_ms):
        img[band : height - band, min(col(t), width - 1)] = _TICK
    top, bottom = band + 2, height - band - 2
    mid, half = (top + bottom) / 2, (bottom - top) / 2
    if peaks.length:
        edges = np.linspace(0, peaks.length, width + 1).astype(int)
        scale = 128 if peaks.bits == 8 else 32768
        for x in range(width):
            a, b = edges[x], max(edges[x + 1], edges[x] + 1)
            if a >= peaks.length:
                break
            lo = peaks.mins[a:b].min() / scale
            hi = peaks.maxs[a:b].max() / scale
            y0 = round(mid - hi * half)
            y1 = round(mid - lo * half)
            img[max(top, y0) : min(bottom, y1) + 1, x] = wave[x]
    picture = Image.fromarray(img)
    _label_ticks(picture, step_ms, total_ms, col, height - band - 3)
    with atomic_path(path) as tmp:
        picture.quantize(colors=16).save(tmp, format="PNG", optimize=True)
    return path


def _label_ticks(picture: "Image.Image", step_ms: int, total_ms: int,
                 col: "Callable[[int], int]", baseline: int) -> None:
    """Write each tick's time just right of it, above the cue bars."""
    from PIL import ImageDraw, ImageFont

    try:
        font: Any = ImageFont.truetype(str(_FONT), 11)
    except OSError:  # the font file is part of the package; keep the picture regardless
        font = ImageFont.load_default()
    draw = ImageDraw.Draw(picture)
    for t in range(step_ms, total_ms, step_ms):
        x = col(t) + 3
        if x < picture.width - 30:
            draw.text((x, baseline), time_label(t), fill=_LABEL, font=font, anchor="ls")


def time_label(ms: int) -> str:
    """A tick label: '5 s' under a minute, else 'm:ss' or 'h:mm:ss'."""
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds} s"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _tick_step(total_ms: int) -> int:
    """A round tick spacing giving at most about 20 ticks."""
    for step in (1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000):
        if total_ms / step <= 20:
            return step
    return 3_600_000
