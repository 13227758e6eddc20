"""Fingerprints of the spoken language and the transcript follow the models they may use."""

from dataclasses import replace
from pathlib import Path

from media_pipeline.asr.candidates import candidate_models
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.store.fingerprints import ASSETS, ExtraInputs, asset_fingerprints


def test_the_spoken_language_comes_between_the_speech_regions_and_the_transcript() -> None:
    assert ASSETS["spoken_language"].upstream == ("speech_audio", "speech_regions")
    assert "spoken_language" in ASSETS["transcript"].upstream
    names = list(ASSETS)
    assert names.index("speech_regions") < names.index("spoken_language") \
        < names.index("transcript")


def test_changing_a_chosen_model_changes_the_language_and_everything_after() -> None:
    base = asset_fingerprints(PipelineSettings(), ExtraInputs(model_identity="m"))
    for change in ({"english_model": "base"}, {"multilingual_model": "small"},
                   {"task": "translate"}, {"model": "base"}):
        other = asset_fingerprints(replace(PipelineSettings(), **change),
                                   ExtraInputs(model_identity="m"))
        assert other["speech_regions"] == base["speech_regions"], change
        for asset in ("spoken_language", "transcript", "library_entry"):
            assert other[asset] != base[asset], (change, asset)
    weights = asset_fingerprints(PipelineSettings(), ExtraInputs(model_identity="m2"))
    assert weights["spoken_language"] != base["spoken_language"]


def test_the_models_a_setting_may_load() -> None:
    assert candidate_models(PipelineSettings()) == ["base", "tiny.en"]
    assert candidate_models(PipelineSettings(model="tiny.en")) == ["base", "tiny.en"]
    assert candidate_models(PipelineSettings(model="base")) == ["base"]
    assert candidate_models(PipelineSettings(model="tiny.en", language="en")) == ["tiny.en"]


def test_with_the_fake_and_model_auto_fingerprints_need_no_model(tmp_path: Path) -> None:
    storage = StorageResource.at(tmp_path / "data", FakeWhisperResource())
    fps = storage.fingerprints(PipelineSettings(model="auto"))
    assert fps["spoken_language"] and fps["transcript"]
    assert not (tmp_path / "data" / "models").exists()
