"""Short files decoded together: which files share batches, and a failing batch."""

import json
from pathlib import Path

import numpy as np
import pytest

from media_pipeline.asr.transcribe import AsrOptions, SpeechClip, Transcript
from media_pipeline.audio.wav import write_wav
from media_pipeline.stages.transcription import (
    SHARED_MAX_SPEECH_MS,
    PendingTranscript,
    transcribe_short_files,
)

ENGLISH = AsrOptions(english_only=True)


def pending(tmp_path: Path, key: str, speech_ms: int, options: AsrOptions = ENGLISH,
            model: str = "tiny.en") -> PendingTranscript:
    wav, regions = tmp_path / f"{key}.wav", tmp_path / f"{key}.json"
    write_wav(wav, np.zeros(1600, dtype=np.float32), 16000)
    regions.write_text(json.dumps({"regions": [[0, speech_ms]]}))
    return PendingTranscript(key, wav, regions, model, options)


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.groups: list[tuple[str, list[int]]] = []
        self.fail = fail

    def __call__(self, model: str):  # type: ignore[no-untyped-def]
        def recognize(clips: list[SpeechClip], options: AsrOptions) -> list[Transcript]:
            if self.fail:
                raise RuntimeError("the model fell over")
            self.groups.append((model, [c.regions[0].end_ms for c in clips]))
            return [Transcript("en", 1.0, c.regions[0].end_ms) for c in clips]
        return recognize


def test_short_files_with_the_same_model_and_language_share_batches(tmp_path: Path) -> None:
    german = AsrOptions(language="de")
    items = [pending(tmp_path, "a", 5000), pending(tmp_path, "b", 15000),
             pending(tmp_path, "long", SHARED_MAX_SPEECH_MS + 1),
             pending(tmp_path, "unsure", 6000, AsrOptions(language=None), "base"),
             pending(tmp_path, "de1", 7000, german, "base"),
             pending(tmp_path, "de2", 8000, german, "base"),
             pending(tmp_path, "alone", 9000, AsrOptions(language="fr"), "base")]
    recorder = Recorder()
    ready = transcribe_short_files(items, recorder)
    assert sorted(recorder.groups) == [("base", [7000, 8000]), ("tiny.en", [5000, 15000])]
    assert sorted(ready) == ["a", "b", "de1", "de2"]  # the rest go one at a time
    assert ready["b"].files == 2 and ready["b"].audio_s == pytest.approx(0.1)
    assert ready["b"].seconds == pytest.approx(3 * ready["a"].seconds)  # shared by speech


def test_a_failing_batch_leaves_its_files_to_one_at_a_time(tmp_path: Path) -> None:
    items = [pending(tmp_path, "a", 5000), pending(tmp_path, "b", 6000)]
    assert transcribe_short_files(items, Recorder(fail=True)) == {}
