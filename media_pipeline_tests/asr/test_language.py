"""Language detection over the speech, and the model chosen for it (no model here)."""

from dataclasses import replace

import numpy as np
import pytest

from media_pipeline.asr.language import (
    LanguageGuess,
    LanguageUnsupportedError,
    choose_model,
    detect_language,
    detection_windows,
)
from media_pipeline.audio.vad import SpeechRegion
from media_pipeline.settings import PipelineSettings

RATE = 16000
MUSIC, SPEECH = 0.9, 0.1  # sample values that stand for each kind of audio


def english_only(model: str) -> bool:
    return model.endswith(".en")


def test_windows_spread_over_long_speech_and_cover_short_speech() -> None:
    assert detection_windows(0) == []
    assert detection_windows(12_000) == [(0, 12_000)]
    assert detection_windows(25_000) == [(0, 15_000), (10_000, 25_000)]
    windows = detection_windows(600_000)
    assert len(windows) == 3 and windows[0][0] == 0 and windows[-1][1] == 600_000
    assert windows[1] == (292_500, 307_500)  # the middle of the speech, not its start


def test_detection_listens_to_speech_after_a_minute_of_music() -> None:
    # 60 s of music (which a first-30-s detector would hear as English), then 90 s of speech
    # with a pause; the VAD found only the speech.
    samples = np.full(150 * RATE, MUSIC, dtype=np.float32)
    regions = [SpeechRegion(60_000, 100_000), SpeechRegion(110_000, 150_000)]
    for r in regions:
        samples[r.start_ms * RATE // 1000: r.end_ms * RATE // 1000] = SPEECH
    heard: list[np.ndarray] = []

    def probabilities(window: np.ndarray) -> list[tuple[str, float]]:
        heard.append(window)
        music_share = float(np.mean(np.isclose(window, MUSIC)))
        return [("de", 0.9 * (1 - music_share)), ("en", 0.1 + 0.9 * music_share)]

    guess = detect_language(probabilities, samples, RATE, regions)
    assert guess.language == "de" and guess.probability == pytest.approx(0.9)
    assert guess.alternatives == (("en", 0.1),)
    assert len(heard) == 3 and all(np.allclose(w, SPEECH) for w in heard)
    assert guess.speech_ms == 80_000
    assert all(60_000 <= a < b <= 150_000 for a, b in guess.windows)


def test_windows_weigh_by_length_and_too_little_speech_is_no_language() -> None:
    samples = np.zeros(RATE * 2, dtype=np.float32)
    none = detect_language(lambda w: [("en", 1.0)], samples, RATE, [SpeechRegion(0, 100)])
    assert none.language == "" and none.probability == 0.0


def test_english_goes_to_the_english_model_the_rest_to_the_multilingual_one() -> None:
    auto = PipelineSettings(model="auto")
    en = choose_model(LanguageGuess("en", 0.97), auto, english_only)
    assert (en.model, en.language, en.task, en.subtitle_language) == \
        ("tiny.en", "en", "transcribe", "en")
    de = choose_model(LanguageGuess("de", 0.95), auto, english_only)
    assert (de.model, de.language, de.task, de.subtitle_language) == \
        ("base", "de", "transcribe", "de")
    unsure = choose_model(LanguageGuess("en", 0.3), auto, english_only)
    assert (unsure.model, unsure.language) == ("base", None)  # Whisper decides per window
    silent = choose_model(LanguageGuess("", 0.0), auto, english_only)
    assert silent.model == "tiny.en"


def test_translate_writes_english_from_the_multilingual_model() -> None:
    translate = PipelineSettings(model="auto", task="translate")
    de = choose_model(LanguageGuess("de", 0.95), translate, english_only)
    assert (de.model, de.language, de.task, de.subtitle_language) == \
        ("base", "de", "translate", "en")
    en = choose_model(LanguageGuess("en", 0.95), translate, english_only)
    assert (en.model, en.task) == ("tiny.en", "transcribe")
    with pytest.raises(LanguageUnsupportedError, match="multilingual"):
        choose_model(LanguageGuess("de", 0.95), replace(translate, model="tiny.en"),
                     english_only)


def test_an_english_only_model_forced_on_german_speech_fails_clearly() -> None:
    forced = PipelineSettings(model="tiny.en")
    with pytest.raises(LanguageUnsupportedError) as caught:
        choose_model(LanguageGuess("de", 0.93), forced, english_only)
    message = caught.value.user_message
    assert "German (de" in message and "--model base" in message
    assert "--task translate" in message
    with pytest.raises(LanguageUnsupportedError, match="--language"):
        choose_model(LanguageGuess("fr", 1.0, forced=True), forced, english_only)
    # Unsure detection does not veto the user's model; English is what it writes.
    assert choose_model(LanguageGuess("de", 0.3), forced, english_only).model == "tiny.en"
    assert choose_model(LanguageGuess("de", 0.93), PipelineSettings(model="base"),
                        english_only).language == "de"
