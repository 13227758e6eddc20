"""``/api/narrations`` on a FastAPI app with the shared dependencies (runs in this process)."""

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from media_pipeline.api.deps import AppState
from media_pipeline.api.errors import install_error_handler
from media_pipeline.api.narrations import EXTRAS_KEY, router
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline_tests.narration.conftest import FIVE_SENTENCES, GatedProvider, UseProvider
from media_pipeline_tests.tts.fakes import FakeProvider

TOKEN = "narration-test-token"


def make_client(runtime: RuntimeSettings, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_PROVIDER", "fake")
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_ROUND_TRIP_CHECK", "false")
    app = FastAPI()
    app.include_router(router)
    install_error_handler(app)  # as create_app does
    app.state.media_pipeline = AppState(runtime=runtime, settings=PipelineSettings(),
                                        jobs=None, events=None)  # type: ignore[arg-type]
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def client(runtime: RuntimeSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with make_client(replace(runtime, api_token=TOKEN), monkeypatch) as c:
        yield c
        service = c.app.state.media_pipeline.extras.get(EXTRAS_KEY)  # type: ignore[attr-defined]
        if isinstance(service, NarrationService):
            service.close()


def poll(client: TestClient, key: str, until: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 180  # generous: a loaded CI machine, not a bound
    while True:
        body: dict[str, Any] = client.get(f"/api/narrations/{key}").json()
        if until(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_post_poll_audio_metadata(client: TestClient,
                                  use_provider: UseProvider) -> None:
    provider = use_provider(GatedProvider(gate_at=2))
    created = client.post("/api/narrations", json={"text": FIVE_SENTENCES})
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["status"] == "pending" and job["voice"] == "v1" and job["provider"] == "fake"
    assert created.headers["location"] == f"/api/narrations/{job['id']}"
    assert provider.reached.wait(120)
    running = poll(client, job["id"], lambda b: b["status"] == "in_progress")
    assert (running["completed_chunks"], running["total_chunks"]) == (1, 5)
    assert client.get(f"/api/narrations/{job['id']}/audio").status_code == 409
    assert client.get(f"/api/narrations/{job['id']}/metadata").status_code == 409
    provider.release.set()

    done = poll(client, job["id"], lambda b: b["status"] in ("completed", "failed"))
    assert done["status"] == "completed" and done["progress"] == 1.0 and done["error"] is None
    audio = client.get(f"/api/narrations/{job['id']}/audio")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert audio.content[:3] == b"ID3" and len(audio.content) > 1000
    meta = client.get(f"/api/narrations/{job['id']}/metadata").json()
    assert meta["job_id"] == job["id"] and meta["format"] == "mp3"
    assert meta["timing_data"]["timing_type"] == "word"
    assert len(meta["timing_data"]["words"]) == len(FIVE_SENTENCES.split())

    again = client.post("/api/narrations", json={"text": FIVE_SENTENCES, "voice": "v1"})
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert again.json()["status"] == "completed"
    listed = client.get("/api/narrations").json()
    assert [j["id"] for j in listed] == [job["id"]]


def test_errors(client: TestClient,
                use_provider: UseProvider) -> None:
    use_provider(FakeProvider())
    assert client.get("/api/narrations/0123456789abcdef").status_code == 404
    assert client.get("/api/narrations/..%2F..%2Fetc").status_code == 404
    bad_speed = client.post("/api/narrations", json={"text": "Hi.", "speed": 9})
    assert bad_speed.status_code == 400
    assert bad_speed.json()["detail"] == "Speed must be between 0.5 and 2 for fake"
    assert client.post("/api/narrations", json={"text": "Hi.", "voice": "x"}).status_code == 400
    assert client.post("/api/narrations", json={"text": ""}).status_code == 422
    unknown = client.post("/api/narrations", json={"text": "Hi.", "provider": "nope"})
    assert unknown.status_code == 400 and "Unknown TTS provider" in unknown.json()["detail"]
    anonymous = client.get("/api/narrations", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_a_failed_narration_shows_the_providers_message(
        client: TestClient, use_provider: UseProvider) -> None:
    from media_pipeline.tts.errors import ProviderAuthError

    use_provider(FakeProvider(fail={1: ProviderAuthError(provider="fake")}))
    job = client.post("/api/narrations", json={"text": "Say this."}).json()
    done = poll(client, job["id"], lambda b: b["status"] in ("completed", "failed"))
    assert (done["status"], done["error"]) == ("failed", "Provider authentication failed")


def test_the_router_is_part_of_the_api_app(runtime: RuntimeSettings, use_provider: UseProvider,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """On the real app without a run queue, narrations run in the API process instead."""
    from media_pipeline.api.app import create_app

    use_provider(FakeProvider())
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_PROVIDER", "fake")
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_ROUND_TRIP_CHECK", "false")
    app = create_app(runtime, PipelineSettings(), watch=False)
    with TestClient(app) as client:
        job = client.post("/api/narrations", json={"text": "Through the whole app."}).json()
        done = poll(client, job["id"], lambda b: b["status"] in ("completed", "failed"))
        assert done["status"] == "completed", done
        app.state.media_pipeline.extras[EXTRAS_KEY].close()
