"""The ``separation: auto`` heuristic: the corpus song is music, speech clips are not."""

from pathlib import Path

import numpy as np
import pytest

from media_pipeline.audio.music_detect import detect_music, window_features
from media_pipeline.audio.probe import probe_media
from media_pipeline_tests.conftest import make_tone_file


@pytest.mark.parametrize(("clip", "music"), [
    ("lyrics/Fantasma_-_Los_Rombos.mp3", True),
    ("pyloudnorm/piano.wav", True),
    ("jfk/jfk.flac", False),
    ("librispeech/2412-153948-0000.flac", False),
    ("misc/apollo11.mp3", False),
    ("long/fairytale-en.ogg", False),
])
def test_decides_right_on_the_corpus(corpus: Path, clip: str, music: bool) -> None:
    path = corpus / clip
    decision = detect_music(path, probe_media(path).duration_s)
    assert decision.is_music is music, decision.to_dict()


@pytest.mark.parametrize("kind", ["noise", "sine", "silence"])
def test_noise_tones_and_silence_are_not_music(tmp_path: Path, kind: str) -> None:
    path = make_tone_file(tmp_path / f"{kind}.wav", 8, kind)
    assert not detect_music(path, 8.0).is_music


def test_short_audio_has_no_window() -> None:
    assert window_features(np.zeros(1000, dtype=np.float32)) is None
