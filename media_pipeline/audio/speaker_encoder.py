"""Speaker embeddings from resemblyzer's GE2E encoder (256-d, weights inside its PyPI wheel).

The encoder is a 3-layer LSTM over 40-band log-mel frames (25 ms windows, 10 ms hop) whose
last state, through a linear layer, ReLU and L2 norm, is the voice's embedding. We feed it
fixed windows cut from one block of audio at a time, so memory is bounded by the block,
never the file. Loaded once per process (:func:`load_encoder`); a missing weight file or
package raises :class:`SpeakerModelMissing`, which the stage turns into a skipped step.

The weights are read straight from the file (audio/torch_weights.py) and the network runs
as an ONNX graph in onnxruntime (audio/ge2e_graph.py): importing torch and resemblyzer cost
1.7 s of CPU and 240 MB in every process that labels speakers; the embeddings agree with
resemblyzer's own forward to 1e-6.
"""

import functools
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from media_pipeline.audio.ge2e_graph import GE2ESession, ge2e_model
from media_pipeline.audio.torch_weights import UnreadableWeights, read_legacy_state_dict
from media_pipeline.errors import MediaPipelineError

SAMPLE_RATE = 16_000
FRAME_HOP_S = 0.010
"""The encoder's mel frame hop (resemblyzer's ``mel_window_step``)."""
BATCH = 64
"""Windows per forward pass: bounds the LSTM's activations."""


class SpeakerModelMissing(MediaPipelineError):
    """resemblyzer or its ``pretrained.pt`` is not installed here."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"speaker encoder unavailable: {detail}")
        self.detail = detail


def weights_path() -> Path:
    """Where resemblyzer keeps its GE2E weights (inside the installed package; found without
    importing it, which would import torch)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:  # installed with --no-deps
        raise SpeakerModelMissing("the resemblyzer package is not installed "
                                  "(pip install --no-deps resemblyzer==0.1.4)")
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "pretrained.pt"


class SpeakerEncoder:
    """GE2E embeddings of short audio windows, on the CPU."""

    def __init__(self, weights: Path) -> None:
        if not weights.is_file():
            raise SpeakerModelMissing(f"no weight file at {weights}")
        try:
            self.session = GE2ESession(ge2e_model(read_legacy_state_dict(weights)))
        except (UnreadableWeights, KeyError) as exc:
            raise SpeakerModelMissing(f"{weights} is not resemblyzer's encoder ({exc})") from exc
        self.identity = f"ge2e-{weights.stat().st_size}"

    def mel_frames(self, samples: np.ndarray) -> np.ndarray:
        """(frames, 40) mel power frames of 16 kHz mono ``samples``, as resemblyzer makes
        them (its librosa call, redone in numpy: librosa's first call costs seconds)."""
        return mel_frames(samples)

    def embed_frames(self, mel: np.ndarray, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """(len(spans), 256) unit embeddings of ``mel[a:b]`` for each frame span (a, b);
        spans of equal length go through the LSTM together, at most BATCH at once."""
        out = np.zeros((len(spans), 256), np.float32)
        by_length: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(spans):
            by_length.setdefault(b - a, []).append(i)
        for length, rows in by_length.items():
            for j in range(0, len(rows), BATCH):
                chunk = rows[j:j + BATCH]
                out[chunk] = self.embed(np.stack([mel[spans[i][0]:spans[i][0] + length]
                                                  for i in chunk]))
        return out

    def embed(self, frames: np.ndarray) -> np.ndarray:
        """(batch, 256) unit embeddings of (batch, time, 40) mel frames: the LSTM's last
        state through the linear layer and ReLU, L2-normalized (resemblyzer's forward)."""
        return self.session.embed(frames)


N_FFT, HOP, N_MELS = 400, 160, 40


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's scale (librosa's default): linear to 1 kHz, logarithmic above.
    mel = hz / (200.0 / 3)
    log_part = hz >= 1000.0
    mel[log_part] = 15.0 + np.log(hz[log_part] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    hz = mel * (200.0 / 3)
    log_part = mel >= 15.0
    hz[log_part] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_part] - 15.0))
    return hz


@functools.cache
def mel_basis() -> np.ndarray:
    """(40, 201) Slaney-normalized triangular mel filters (librosa.filters.mel's)."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    edges = _mel_to_hz(np.linspace(0.0, float(_hz_to_mel(np.array([SAMPLE_RATE / 2.0]))[0]),
                                   N_MELS + 2))
    ramps = edges[:, None] - fft_hz[None, :]
    widths = np.diff(edges)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return np.asarray(weights * (2.0 / (edges[2:] - edges[:-2]))[:, None], np.float32)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram: centred 25 ms Hann frames every 10 ms."""
    padded = np.pad(samples.astype(np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    if count <= 0:
        return np.zeros((0, N_MELS), np.float32)
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)
    power = np.abs(np.fft.rfft(padded[index] * window, axis=1)) ** 2
    return np.asarray(power @ mel_basis().T, np.float32)


@functools.cache
def load_encoder(weights: Path | None = None) -> SpeakerEncoder:
    """The encoder for ``weights`` (default: resemblyzer's), loaded once per process."""
    return SpeakerEncoder(weights or weights_path())
