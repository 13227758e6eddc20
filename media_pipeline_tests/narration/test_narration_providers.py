"""Providers behind narrations: the network one on a fake local server, the pool limit."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.jobs.narration import NarrationStatus
from media_pipeline.jobs.narration_service import NarrationService, apply_pool_limit
from media_pipeline.settings import NarrationSettings, RuntimeSettings
from media_pipeline.tts.errors import (
    AUTH_FAILED_MESSAGE,
    NarrationInputError,
    ProviderNotFoundError,
)
from media_pipeline_tests.narration.conftest import (
    GatedProvider,
    RegisterProvider,
    finished,
    wait_for,
)
from media_pipeline_tests.tts.fakes import FakeProvider, FakeSpeechServer, Scripted, speech_ok

TEXT = "Hello from the network. This narration has two sentences."
KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def network(runtime: RuntimeSettings, speech_server: FakeSpeechServer,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[NarrationService]:
    monkeypatch.setenv("NARRATION_TEST_KEY", KEY)
    settings = NarrationSettings(provider="elevenlabs", round_trip_check=False,
                                 elevenlabs_base_url=speech_server.base_url,
                                 elevenlabs_api_key_env="NARRATION_TEST_KEY")
    service = NarrationService(runtime, settings)
    yield service
    service.close()


@pytest.fixture
def speech_server() -> Iterator[FakeSpeechServer]:
    with FakeSpeechServer() as server:
        yield server


def test_network_provider_narration(network: NarrationService,
                                    speech_server: FakeSpeechServer) -> None:
    speech_server.script = [speech_ok(TEXT, 2000)]
    job = network.narrate(TEXT, voice="rachel")
    assert job.status == NarrationStatus.COMPLETED, job.error
    request = speech_server.requests[0]
    assert request["path"].startswith("/v1/text-to-speech/rachel/with-timestamps")
    assert request["headers"]["xi-api-key"] == KEY and request["json"]["text"] == TEXT
    timing = network.jobs.get_audio_metadata(job.id)
    assert timing["duration_ms"] == 2000 and timing["provider"] == "elevenlabs"
    assert [w["text"] for w in timing["timing_data"]["words"]] == TEXT.split()


def test_network_provider_auth_error(network: NarrationService,
                                     speech_server: FakeSpeechServer,
                                     sleeps: list[float]) -> None:
    speech_server.script = [Scripted(401, {"detail": f"invalid key {KEY}"})]
    job = network.narrate(TEXT, voice="rachel")
    assert (job.status, job.error) == (NarrationStatus.FAILED, AUTH_FAILED_MESSAGE)
    assert len(speech_server.requests) == 1 and sleeps == []
    assert KEY not in str(job.to_json())


def test_network_provider_rate_limited_twice(network: NarrationService,
                                             speech_server: FakeSpeechServer,
                                             sleeps: list[float]) -> None:
    speech_server.script = [Scripted(429, {}), Scripted(429, {}), speech_ok(TEXT, 1000)]
    job = network.narrate(TEXT, voice="rachel")
    assert job.status == NarrationStatus.COMPLETED and sleeps == [1.0, 2.0]


def test_requests_are_validated_before_a_job_exists(network: NarrationService,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NarrationInputError, match="needs a voice id"):
        network.create(TEXT)
    with pytest.raises(NarrationInputError, match=r"Speed must be between 0\.7 and 1\.2"):
        network.create(TEXT, voice="rachel", speed=3.0)
    with pytest.raises(NarrationInputError, match="Text is empty"):
        network.create("   ", voice="rachel")
    with pytest.raises(ProviderNotFoundError, match="known providers: elevenlabs, piper"):
        network.create(TEXT, provider="nope")
    monkeypatch.delenv("NARRATION_TEST_KEY")
    with pytest.raises(ConfigurationError, match="set NARRATION_TEST_KEY"):
        network.create(TEXT, voice="rachel")
    assert network.jobs.list_jobs() == []


def _two_at_once(runtime: RuntimeSettings, limit: int,
                 register: RegisterProvider,
                 ) -> tuple[NarrationService, GatedProvider, FakeProvider]:
    slow = register("slow", GatedProvider(gate_at=1))
    quick = register("quick", FakeProvider())
    service = NarrationService(runtime, NarrationSettings(round_trip_check=False,
                                                          pool_limit=limit))
    service.create("The first narration.", voice="v1", provider="slow")
    assert slow.reached.wait(30)
    service.create("The second narration.", voice="v1", provider="quick")
    return service, slow, quick


def test_one_narration_synthesizes_at_a_time(runtime: RuntimeSettings,
                                             register: RegisterProvider) -> None:
    service, slow, quick = _two_at_once(runtime, 1, register)
    try:
        time.sleep(2.0)  # longer than the pool's first retry interval
        second = service.jobs.list_jobs()
        waiting = next(j for j in second if j.provider == "quick")
        assert quick.calls == [] and waiting.status == NarrationStatus.PENDING
        slow.release.set()
        done = wait_for(service, waiting.id, finished)
        assert done.status == NarrationStatus.COMPLETED and len(quick.calls) == 1
        info = service.instance.event_log_storage.get_concurrency_info("narration")
        assert info.slot_count == 1
    finally:
        slow.release.set()
        service.close()


def test_the_pool_limit_is_a_setting(runtime: RuntimeSettings,
                                     register: RegisterProvider) -> None:
    service, slow, _ = _two_at_once(runtime, 2, register)
    try:
        waiting = next(j for j in service.jobs.list_jobs() if j.provider == "quick")
        done = wait_for(service, waiting.id, finished)  # while the slow one still holds a slot
        assert done.status == NarrationStatus.COMPLETED and slow.calls == []
    finally:
        slow.release.set()
        service.close()
    apply_pool_limit(service.instance, 0)  # 0 leaves the instance's own setting alone
    assert service.instance.event_log_storage.get_concurrency_info("narration").slot_count == 2


def test_store_rejects_ids_that_are_not_narration_keys(service: NarrationService) -> None:
    from media_pipeline.store.narration import NarrationNotFoundError

    for bad in ("../../etc/passwd", "ABCDEF0123456789", "0123", ""):
        with pytest.raises(NarrationNotFoundError):
            service.jobs.get_job_status(bad)
    assert not Path(service.store.root, "..", "etc").exists()
