"""The spoken_language asset with the fake Whisper: forced languages, the model chosen, the
failure of a model that cannot write the language (real detection: test_language_models)."""

from pathlib import Path

from media_pipeline.batch import process_paths
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env

SAID = "and so my fellow Americans ask not what your country can do for you"


def test_language_is_detected_forced_recorded_and_refused(tmp_path: Path, corpus: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    whisper = FakeWhisperResource(transcript=SAID)
    clip = corpus / "jfk" / "jfk.wav"
    [heard] = process_paths([clip], runtime, PipelineSettings(), whisper=whisper)
    assert heard.status == "completed", heard.error
    assert (heard.language, heard.language_probability) == ("en", 1.0)
    assert heard.to_json()["language"] == "en"
    storage = StorageResource.at(runtime.data_dir, whisper)
    info = storage.artifacts.info(heard.key or "", "spoken_language",
                                  storage.fingerprints(PipelineSettings())["spoken_language"])
    assert info["transcript_model"] == "tiny.en" and not info["forced"]

    french = PipelineSettings(language="fr")
    [forced] = process_paths([clip], runtime, french, whisper=whisper)
    assert (forced.language, forced.language_probability) == ("fr", 1.0)
    info = storage.artifacts.info(forced.key or "", "spoken_language",
                                  storage.fingerprints(french)["spoken_language"])
    assert info["forced"] and info["transcript_model"] == "base"
    assert storage.library().get(forced.key or "").model == "base"  # type: ignore[union-attr]

    [refused] = process_paths([clip], runtime, PipelineSettings(model="tiny.en", language="fr"),
                              whisper=whisper)
    assert refused.status == "failed" and refused.language is None
    assert "French (fr" in (refused.error or "") and "--model base" in (refused.error or "")
