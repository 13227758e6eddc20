import pytest

from media_pipeline.errors import MediaPipelineError
from media_pipeline.tts.errors import ProviderNotFoundError
from media_pipeline.tts.providers.base import TTSProvider
from media_pipeline.tts.providers.http_speech import ElevenLabsProvider
from media_pipeline.tts.registry import ProviderRegistry
from media_pipeline_tests.tts.fakes import FakeProvider


def test_register_get_and_capabilities() -> None:
    fake = FakeProvider(max_chunk_chars=123)
    remote = ElevenLabsProvider("http://127.0.0.1:9", "k")
    registry = ProviderRegistry([fake, remote])
    assert isinstance(fake, TTSProvider)
    assert registry.get("fake") is fake
    assert registry.names() == ["elevenlabs", "fake"]
    assert "fake" in registry and "nope" not in registry
    assert registry.capabilities("fake").max_chunk_chars == 123
    remote_caps = registry.capabilities("elevenlabs")
    assert remote_caps.sample_rate == 22050
    assert (remote_caps.min_speed, remote_caps.max_speed) == (0.7, 1.2)


def test_unknown_name_lists_known_ones() -> None:
    registry = ProviderRegistry([FakeProvider()])
    with pytest.raises(ProviderNotFoundError) as info:
        registry.get("polly")
    assert isinstance(info.value, MediaPipelineError)
    assert info.value.user_message == "Unknown TTS provider 'polly'; known providers: fake"
    assert info.value.known == ["fake"]


def test_duplicate_names_need_replace() -> None:
    registry = ProviderRegistry([FakeProvider()])
    second = FakeProvider()
    with pytest.raises(ValueError):
        registry.register(second)
    registry.register(second, replace=True)
    assert registry.get("fake") is second
