"""Narrations for the browser page (issue 14): their events on the SSE stream, their SRT and
VTT, and the voices to choose from. The real app in this process; the narration runs in
this process too (the app has no Dagster webserver to queue it through), with the
predictable fake TTS provider."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from media_pipeline.api.app import create_app
from media_pipeline.api.narrations import EXTRAS_KEY
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.resources import tts_providers
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline_tests.tts.fakes import FakeProvider

pytestmark = pytest.mark.slow
TOKEN = "web-narration-token"
TEXT = "The first sentence is here. A second one follows it. Then comes the third."


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_PROVIDER", "fake")
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_ROUND_TRIP_CHECK", "false")
    tts_providers.register_provider("fake", lambda config: FakeProvider())
    runtime = RuntimeSettings(data_dir=tmp_path / "data", api_token=TOKEN)
    try:
        with dg.instance_for_test() as instance:
            app = create_app(runtime, PipelineSettings(), instance=instance)
            with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
                yield c
                service = app.state.media_pipeline.extras.get(EXTRAS_KEY)
                if isinstance(service, NarrationService):
                    service.close()
    finally:
        tts_providers.unregister_provider("fake")


def events_of(client: TestClient, narration_id: str, last: str,
              timeout_s: float = 120.0) -> list[dict[str, Any]]:
    """The narration's events (as the SSE stream writes them) once ``last`` was published."""
    log = client.app.state.media_pipeline.events  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout_s
    while True:
        mine = []
        for event in log.since(0):
            head, kind, data = event.sse().strip().split("\n")
            assert head == f"id: {event.id}"
            mine.append({"type": kind.removeprefix("event: "),
                         "data": json.loads(data.removeprefix("data: "))})
        mine = [e for e in mine if e["data"].get("id") == narration_id]
        if any(e["type"] == last for e in mine):
            return mine
        assert time.monotonic() < deadline, mine
        time.sleep(0.1)


def test_narration_events_subtitles_and_voices(client: TestClient) -> None:
    made = client.post("/api/narrations", json={"text": TEXT})
    assert made.status_code == 201, made.text
    narration_id = made.json()["id"]
    events = events_of(client, narration_id, "narration_completed")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "narration_created" and kinds[-1] == "narration_completed"
    assert kinds.count("narration_completed") == 1 and "narration_failed" not in kinds
    progress = [e["data"] for e in events if e["type"] == "narration_progress"]
    assert progress, kinds
    assert all(set(p) == {"id", "state", "chunks_done", "chunks_total"} for p in progress)
    done = [p["chunks_done"] for p in progress]
    assert done == sorted(done) and progress[-1]["chunks_total"] == 3
    final = events[-1]["data"]
    assert final["state"] == "completed" and final["chunks_done"] == final["chunks_total"] == 3

    srt = client.get(f"/api/narrations/{narration_id}/subtitles/srt")
    assert srt.status_code == 200 and srt.headers["content-type"].startswith(
        "application/x-subrip")
    assert "first sentence" in srt.text and "-->" in srt.text
    vtt = client.get(f"/api/narrations/{narration_id}/subtitles/vtt")
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")
    assert client.get(f"/api/narrations/{narration_id}/subtitles/ass").status_code == 404
    assert client.get("/api/narrations/nope/subtitles/srt").status_code == 404

    voices = client.get("/api/voices")
    assert voices.status_code == 200, voices.text
    fake = [v for v in voices.json() if v["provider"] == "fake"]
    assert fake and fake[0]["default"] is True and fake[0]["voice"] == made.json()["voice"]
    assert sum(v["default"] for v in voices.json()) == 1
