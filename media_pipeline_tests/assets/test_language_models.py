"""Real detection and model choice (Whisper base and tiny.en) on one German FLEURS clip and
one English LibriSpeech clip: the defaults hear the language and write it as well as the
forced multilingual model does."""

from pathlib import Path

import pytest

from media_pipeline.batch import FileResult, process_paths
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.text.wer import word_error_rate

pytestmark = pytest.mark.slow


def wer_of(result: FileResult, clip: Path) -> float:
    assert result.status == "completed", result.error
    return word_error_rate(clip.with_suffix(".txt").read_text(encoding="utf-8"),
                           Path(result.outputs["txt"]).read_text(encoding="utf-8"),
                           spell_numbers=False)


def run(clip: Path, data: Path, settings: PipelineSettings) -> FileResult:
    [result] = process_paths([clip], runtime_settings_from_env(data, env={}), settings)
    return result


def test_german_speech_is_detected_and_written_in_german(corpus: Path, tmp_path: Path) -> None:
    clip = corpus / "fleurs" / "fleurs-de-000.ogg"
    default = run(clip, tmp_path, PipelineSettings())
    assert default.language == "de" and (default.language_probability or 0) > 0.8
    forced = run(clip, tmp_path, PipelineSettings(model="base"))
    assert wer_of(default, clip) <= wer_of(forced, clip) + 0.05
    assert wer_of(default, clip) < 0.3
    refused = run(clip, tmp_path, PipelineSettings(model="tiny.en"))
    assert refused.status == "failed"
    assert "German (de" in (refused.error or "") and "--model base" in (refused.error or "")


def test_english_speech_goes_to_the_english_model(corpus: Path, tmp_path: Path) -> None:
    clip = corpus / "librispeech" / "2412-153948-0000.flac"
    default = run(clip, tmp_path, PipelineSettings())
    assert default.language == "en" and (default.language_probability or 0) > 0.8
    forced = run(clip, tmp_path, PipelineSettings(model="base"))
    assert wer_of(default, clip) <= wer_of(forced, clip) + 0.05
