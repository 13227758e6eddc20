"""The Dagster-free parts: WER with numbers, settings, the request store, estimated words."""

import itertools
import time
from pathlib import Path

import pytest

from media_pipeline.settings import NarrationSettings, narration_settings_from_env
from media_pipeline.stages.narration import timed_words
from media_pipeline.store.narration import NarrationRequest, NarrationStore, is_key
from media_pipeline.text.wer import normalized_words, number_words, word_error_rate


def test_number_words() -> None:
    assert number_words(0) == ["zero"]
    assert number_words(9) == ["nine"]
    assert " ".join(number_words(42)) == "forty two"
    assert " ".join(number_words(1205)) == "one thousand two hundred five"
    assert " ".join(number_words(3_000_017)) == "three million seventeen"


def test_wer_treats_digits_and_spelled_numbers_alike() -> None:
    assert normalized_words("At 9, with 1,200 books!") == [
        "at", "nine", "with", "one", "thousand", "two", "hundred", "books"]
    assert word_error_rate("opens at nine in the morning", "Opens at 9 in the morning.") == 0
    assert word_error_rate("one two three four", "one three four five") == 0.5
    assert word_error_rate("", "anything") == 1.0


def test_settings_from_env(tmp_path: Path) -> None:
    env = {"AUDIO_STORAGE_DIR": str(tmp_path / "a"), "MEDIA_PIPELINE_NARRATION_SPEED": "1.25",
           "MEDIA_PIPELINE_NARRATION_ROUND_TRIP_CHECK": "off",
           "MEDIA_PIPELINE_NARRATION_POOL_LIMIT": "2",
           "MEDIA_PIPELINE_NARRATION_PROVIDER": "elevenlabs"}
    settings = narration_settings_from_env(env)
    assert settings.audio_storage_dir == (tmp_path / "a").resolve()
    assert (settings.speed, settings.round_trip_check, settings.pool_limit) == (1.25, False, 2)
    assert settings.provider == "elevenlabs" and settings.max_age_hours == 24.0
    own = {"MEDIA_PIPELINE_AUDIO_STORAGE_DIR": "/x", "AUDIO_STORAGE_DIR": "/y"}
    assert narration_settings_from_env(own).audio_storage_dir == Path("/x")
    assert narration_settings_from_env({}) == NarrationSettings()


def test_request_store_round_trip(tmp_path: Path) -> None:
    store = NarrationStore(tmp_path / "n", tmp_path / "audio")
    request = NarrationRequest.new("  Héllo  there.\n", "v1", 1.0, "fake", now=100.0)
    assert request.text == "Héllo  there." and is_key(request.key)
    assert NarrationRequest.new("Héllo  there.", "v1", 1.0000001, "fake").key == request.key
    key = store.save_request(request)
    assert store.load_request(key) == request and store.list_keys() == [key]
    assert store.audio_path(key) == tmp_path / "audio" / f"{key}.mp3"
    store.write_progress(key, "run-1", 2, 5)
    progress = store.read_progress(key)
    assert progress is not None and (progress.completed_chunks, progress.total_chunks) == (2, 5)
    assert progress.updated_at <= time.time()
    store.audio_path(key).parent.mkdir(parents=True)
    store.audio_path(key).write_bytes(b"mp3")
    store.delete(key)
    assert store.list_keys() == [] and not store.audio_path(key).exists()
    with pytest.raises(Exception, match="Narration not found"):
        store.load_request(key)


def test_sentence_timings_become_estimated_words() -> None:
    document = {"timing_data": {"timing_type": "sentence", "words": [], "sentences": [
        {"text": "Two words.", "start_ms": 0, "end_ms": 1000, "offset": 0},
        {"text": "Three more words.", "start_ms": 1200, "end_ms": 2900, "offset": 11}]}}
    words = timed_words(document)
    assert [w.text for w in words] == ["Two", "words.", "Three", "more", "words."]
    assert words[0].start_ms == 0 and words[1].end_ms == 1000
    assert words[2].start_ms == 1200 and words[-1].end_ms == 2900
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(words))
