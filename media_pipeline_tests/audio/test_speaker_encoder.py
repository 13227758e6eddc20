"""The numpy GE2E encoder against resemblyzer's own (torch) forward, and without torch."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from media_pipeline.audio.speaker_encoder import (
    SpeakerEncoder,
    SpeakerModelMissing,
    load_encoder,
    weights_path,
)
from media_pipeline.audio.torch_weights import UnreadableWeights, read_legacy_state_dict


def test_embeddings_match_resemblyzers_torch_forward() -> None:
    torch = pytest.importorskip("torch")
    from resemblyzer import VoiceEncoder

    frames = np.random.default_rng(0).random((5, 160, 40), dtype=np.float32)
    ours = load_encoder().embed(frames)
    reference = VoiceEncoder(device="cpu", verbose=False, weights_fpath=weights_path())
    with torch.inference_mode():
        theirs = reference(torch.from_numpy(frames)).numpy()
    assert np.abs(ours - theirs).max() < 1e-4
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_loading_the_encoder_imports_no_torch() -> None:
    code = ("import sys; from media_pipeline.audio.speaker_encoder import load_encoder; "
            "load_encoder(); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_file_that_is_not_the_encoder_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "pretrained.pt"
    other.write_bytes(b"not a pickle at all")
    with pytest.raises(UnreadableWeights):
        read_legacy_state_dict(other)
    with pytest.raises(SpeakerModelMissing, match="not resemblyzer's encoder"):
        SpeakerEncoder(other)
