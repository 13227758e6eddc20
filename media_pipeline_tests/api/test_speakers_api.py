"""``/api/jobs/{id}/speakers`` and ``/api/search?speaker=``: the app in this process over a
temporary Dagster instance, runs executed inline (real ffmpeg, VAD, diarization, Dagster,
DuckDB; the fake Whisper, since recognition is not what is tested)."""

import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from media_pipeline.api.app import create_app
from media_pipeline.definitions import build_definitions
from media_pipeline.partitions import SUBTITLES_JOB
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline_tests.api.test_validation import AUTH, TOKEN, InlineSubmitter

pytestmark = pytest.mark.slow
FAKE = FakeWhisperResource(transcript="and so it begins this is what a crocodile sounds like "
                                      "please fasten your seat belts thank you")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory,
           corpus: Path) -> Iterator[tuple[TestClient, str]]:
    data_dir = tmp_path_factory.mktemp("speakers_api") / "data"
    runtime = RuntimeSettings(data_dir=data_dir, api_token=TOKEN)
    job = build_definitions(runtime, PipelineSettings(), whisper=FAKE).resolve_job_def(
        SUBTITLES_JOB)
    with dg.instance_for_test() as instance:
        app = create_app(runtime, PipelineSettings(), submitter=InlineSubmitter(job, instance),
                         instance=instance, watch=False)
        app.state.media_pipeline.jobs.storage = StorageResource.at(data_dir, FAKE)
        test_client = TestClient(app, headers=AUTH)
        clip = corpus / "picovoice_leopard" / "diarization_test.wav"
        made = test_client.post("/api/jobs", files={"file": (clip.name, clip.read_bytes())})
        assert made.status_code == 201, made.text
        yield test_client, made.json()["id"]


def test_rename_reaches_the_subtitles(client: tuple[TestClient, str]) -> None:
    api, job_id = client
    listed = api.get(f"/api/jobs/{job_id}/speakers")
    assert listed.status_code == 200, listed.text
    assert [s["label"] for s in listed.json()] == ["Speaker 1", "Speaker 2", "Speaker 3"]
    renamed = api.put(f"/api/jobs/{job_id}/speakers", json={"Speaker 1": "Alice"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()[0] == {"label": "Speaker 1", "name": "Alice"}
    vtt = api.get(f"/api/jobs/{job_id}/subtitles/vtt").text
    assert set(re.findall(r"<v ([^>]+)>", vtt)) == {"Alice", "Speaker 2", "Speaker 3"}
    hits = api.get("/api/search", params={"q": "so it", "speaker": "alice"}).json()
    assert [h["speaker"] for h in hits] == ["Alice"]
    assert api.get("/api/search", params={"q": "so it", "speaker": "Speaker 3"}).json() == []


def test_unknown_labels_and_empty_names_are_refused(client: tuple[TestClient, str]) -> None:
    api, job_id = client
    assert api.put(f"/api/jobs/{job_id}/speakers", json={"Speaker 9": "X"}).status_code == 400
    assert api.put(f"/api/jobs/{job_id}/speakers", json={"Speaker 2": " "}).status_code == 400
    assert api.get("/api/jobs/ffffffffffffffff/speakers").status_code == 404
