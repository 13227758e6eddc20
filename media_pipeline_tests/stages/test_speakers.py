"""The speakers step when diarization is off or its model is missing: no turns, a reason."""

import json
from pathlib import Path

import numpy as np

from media_pipeline.audio.speaker_encoder import SpeakerModelMissing
from media_pipeline.audio.wav import write_wav
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.speakers import read_turns, speakers_step


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    write_wav(tmp_path / "speech.wav", np.zeros(16_000 * 3, np.float32), 16_000)
    (tmp_path / "regions.json").write_text(json.dumps({"regions": [[0, 3000]]}))
    return tmp_path / "speech.wav", tmp_path / "regions.json"


def _missing() -> object:
    raise SpeakerModelMissing("no weight file at /models/pretrained.pt")


def test_off_writes_no_turns_and_says_why(tmp_path: Path) -> None:
    wav, regions = _inputs(tmp_path)
    files, info = speakers_step(wav, regions, PipelineSettings(speakers="off"), tmp_path,
                                encoder=_missing)
    assert read_turns(tmp_path / files["speakers"]) == []
    assert info["diarization"] == "off" and "speakers=off" in info["reason"]


def test_missing_weights_skip_diarization_without_failing(tmp_path: Path) -> None:
    wav, regions = _inputs(tmp_path)
    files, info = speakers_step(wav, regions, PipelineSettings(), tmp_path, encoder=_missing)
    assert read_turns(tmp_path / files["speakers"]) == []
    assert info["reason"].startswith("skipped: speaker encoder unavailable: no weight file")
