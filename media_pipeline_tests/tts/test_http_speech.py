from pathlib import Path

import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.resources.narration import provider_config
from media_pipeline.resources.tts_providers import build_provider
from media_pipeline.settings import NarrationSettings
from media_pipeline.tts.errors import ProviderAuthError, ProviderError, ProviderRateLimitError
from media_pipeline.tts.manager import synthesize_narration
from media_pipeline.tts.providers.http_speech import ElevenLabsProvider
from media_pipeline.tts.retry import synthesize_with_retry
from media_pipeline_tests.tts.fakes import FakeSpeechServer, Scripted, speech_ok

KEY = "xi-test-0123456789abcdef"
TEXT = "Hello world, again."


def provider_for(server: FakeSpeechServer, timeout_s: float = 5.0) -> ElevenLabsProvider:
    return ElevenLabsProvider(server.base_url, KEY, timeout_s=timeout_s, model_id="m1")


def test_success_returns_audio_and_word_timings(speech_server: FakeSpeechServer) -> None:
    speech_server.script = [speech_ok(TEXT, duration_ms=950)]
    result = provider_for(speech_server).synthesize(TEXT, "voice/1", 1.1)
    assert result.sample_rate == 22050
    assert result.num_samples == round(0.95 * 22050)
    assert result.words is not None
    assert [(w.text, w.offset) for w in result.words] == [
        ("Hello", 0),
        ("world,", 6),
        ("again.", 13),
    ]
    assert [(w.start_ms, w.end_ms) for w in result.words] == [(0, 250), (300, 600), (650, 950)]
    request = speech_server.requests[0]
    assert request["path"] == "/v1/text-to-speech/voice%2F1/with-timestamps?output_format=pcm_22050"
    assert request["headers"]["xi-api-key"] == KEY
    assert request["json"] == {"text": TEXT, "model_id": "m1", "voice_settings": {"speed": 1.1}}


def test_misaligned_characters_give_no_words(speech_server: FakeSpeechServer) -> None:
    speech_server.script = [speech_ok("something else entirely")]
    assert provider_for(speech_server).synthesize(TEXT, "v", 1.0).words is None


@pytest.mark.parametrize("status", [401, 403])
def test_auth_error_fails_at_once(
    speech_server: FakeSpeechServer, status: int, sleeps: list[float]
) -> None:
    speech_server.script = [Scripted(status, {"detail": {"message": f"invalid key {KEY}"}})]
    with pytest.raises(ProviderAuthError) as info:
        synthesize_with_retry(provider_for(speech_server), TEXT, "v", 1.0, sleep=sleeps.append)
    assert info.value.user_message == "Provider authentication failed"
    assert info.value.status == status
    assert len(speech_server.requests) == 1 and sleeps == []


def test_rate_limit_then_success_through_the_manager(
    speech_server: FakeSpeechServer, sleeps: list[float], tmp_path: Path
) -> None:
    speech_server.script = [Scripted(429, {}), Scripted(429, {}), speech_ok(TEXT, 600)]
    result = synthesize_narration(
        TEXT, provider_for(speech_server), "v", 1.0, tmp_path / "n.mp3", sleep=sleeps.append
    )
    assert sleeps == [1.0, 2.0]
    assert len(speech_server.requests) == 3
    assert result.duration_ms == 600 and result.timing_type == "word"
    assert [w.text for w in result.words] == ["Hello", "world,", "again."]


def test_rate_limit_exhaustion(speech_server: FakeSpeechServer, sleeps: list[float]) -> None:
    speech_server.script = [Scripted(429, {}, headers={"retry-after": "7"}) for _ in range(4)]
    with pytest.raises(ProviderRateLimitError) as info:
        synthesize_with_retry(provider_for(speech_server), TEXT, "v", 1.0, sleep=sleeps.append)
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(speech_server.requests) == 4
    assert info.value.retry_after_s == 7.0


def test_server_error_is_not_retried_and_sanitized(
    speech_server: FakeSpeechServer, sleeps: list[float]
) -> None:
    leak = f"upstream failed for key {KEY} token=QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    speech_server.script = [Scripted(500, {"detail": {"message": leak}, "secret": KEY})]
    with pytest.raises(ProviderError) as info:
        synthesize_with_retry(provider_for(speech_server), TEXT, "v", 1.0, sleep=sleeps.append)
    message = info.value.user_message
    assert message.startswith("Speech provider error (HTTP 500): upstream failed for key")
    assert KEY not in message and "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" not in message
    assert KEY not in str(info.value)
    assert info.value.status == 500
    assert len(speech_server.requests) == 1 and sleeps == []


def test_client_error_without_json_body(speech_server: FakeSpeechServer) -> None:
    speech_server.script = [Scripted(422, "not json at all")]
    with pytest.raises(ProviderError) as info:
        provider_for(speech_server).synthesize(TEXT, "v", 1.0)
    assert info.value.user_message.startswith("Speech provider error (HTTP 422)")


def test_invalid_success_body(speech_server: FakeSpeechServer) -> None:
    speech_server.script = [Scripted(200, {"audio_base64": "%%%"})]
    with pytest.raises(ProviderError, match="invalid response"):
        provider_for(speech_server).synthesize(TEXT, "v", 1.0)


def test_timeout(speech_server: FakeSpeechServer, sleeps: list[float]) -> None:
    speech_server.script = [Scripted(200, {}, delay_s=1.0)]
    with pytest.raises(ProviderError) as info:
        synthesize_with_retry(
            provider_for(speech_server, timeout_s=0.2), TEXT, "v", 1.0, sleep=sleeps.append
        )
    assert info.value.user_message == "Speech provider timed out"
    assert len(speech_server.requests) == 1 and sleeps == []


def test_unreachable_server() -> None:
    provider = ElevenLabsProvider("http://127.0.0.1:9", KEY, timeout_s=1.0)
    with pytest.raises(ProviderError) as info:
        provider.synthesize(TEXT, "v", 1.0)
    assert info.value.user_message == "Could not reach the speech provider"


def test_built_from_the_narration_settings() -> None:
    settings = NarrationSettings(elevenlabs_voices="a, b")
    with pytest.raises(ConfigurationError, match="set ELEVENLABS_API_KEY"):
        build_provider("elevenlabs", provider_config(settings, api_key=""))
    provider = build_provider("elevenlabs", provider_config(settings, api_key=KEY))
    assert isinstance(provider, ElevenLabsProvider)
    assert provider.capabilities.voices == ("a", "b")
    provider.close()
    with pytest.raises(ValueError):
        ElevenLabsProvider("http://x", KEY, output_format="mp3_44100_128")
