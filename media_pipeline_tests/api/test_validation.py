"""Every API input is validated to a clear 4xx whose body never echoes the input (issue 12).

The real app runs in this process (TestClient) over a temporary Dagster instance. Runs are
executed at once, in process, by :class:`InlineSubmitter` (standing in for the Dagster
webserver), with the fake Whisper: real ffmpeg, VAD, Dagster and DuckDB, no model.
"""

import io
import math
import struct
import wave
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from media_pipeline.api.app import create_app
from media_pipeline.api.deps import AppState, require_token
from media_pipeline.batch import QUIET_RUN_CONFIG
from media_pipeline.definitions import build_definitions
from media_pipeline.library.db import Library
from media_pipeline.partitions import PARTITION_TAG, SUBTITLES_JOB
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline_tests.audio.test_probe import forged_mp3

TOKEN = "validation-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAKE = FakeWhisperResource(transcript="and so my fellow americans ask not what your country "
                                      "can do for you ask what you can do for your country")
JSON = {"content-type": "application/json"}


class InlineSubmitter:
    """Runs each submitted run to its end before answering; ``fail_exports`` makes the
    re-exports after edits fail (their subtitles step raises)."""

    def __init__(self, job: dg.JobDefinition, instance: dg.DagsterInstance) -> None:
        self.job = job
        self.instance = instance
        self.fail_exports = False

    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        assert job_name == SUBTITLES_JOB
        selection = [dg.AssetKey(a) for a in asset_selection] if asset_selection else None
        with pytest.MonkeyPatch.context() as patch:
            if self.fail_exports:
                patch.setattr("media_pipeline.assets.export.subtitles_step", _broken_export)
            result = self.job.execute_in_process(
                instance=self.instance, tags=dict(tags), partition_key=tags[PARTITION_TAG],
                run_config={**(run_config or {}), **QUIET_RUN_CONFIG},
                asset_selection=selection, raise_on_error=False)
        return result.run_id


def _broken_export(*args: object, **kwargs: object) -> None:
    raise OSError("the disk is full")


@dataclass
class Served:
    client: TestClient
    app: FastAPI
    submitter: InlineSubmitter
    data_dir: Path
    job_id: str
    original: list[dict[str, Any]]

    def segments(self) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/jobs/{self.job_id}/segments")
        assert response.status_code == 200, response.text
        segments: list[dict[str, Any]] = response.json()
        return segments


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("validation") / "data"
    runtime = RuntimeSettings(data_dir=data_dir, api_token=TOKEN)
    job = build_definitions(runtime, PipelineSettings(), whisper=FAKE).resolve_job_def(
        SUBTITLES_JOB)
    with dg.instance_for_test() as instance:
        submitter = InlineSubmitter(job, instance)
        app = create_app(runtime, PipelineSettings(), submitter=submitter, instance=instance,
                         watch=False)
        app.state.media_pipeline.jobs.storage = StorageResource.at(data_dir, FAKE)
        client = TestClient(app, headers=AUTH)
        made = client.post("/api/jobs", files={"file": ("jfk.wav", (corpus / "jfk" /
                                                                      "jfk.wav").read_bytes())})
        assert made.status_code == 201, made.text
        job_id = made.json()["id"]
        assert client.get(f"/api/jobs/{job_id}").json()["state"] == "completed"
        served = Served(client, app, submitter, data_dir, job_id, [])
        served.original = served.segments()
        assert len(served.original) >= 2 and served.original[-1]["end_ms"] <= 11_000
        yield served


def assert_refused(response: Any, code: int, sent: str | bytes) -> None:
    """The status, a short one-line ``detail``, and nothing of what was sent."""
    assert response.status_code == code, response.text
    assert len(response.content) < 400
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
    marker = sent.decode("latin-1") if isinstance(sent, bytes) else sent
    assert marker not in response.text


BIG = "MARKER" + "x" * 200_000
BAD_EDITS: list[tuple[bytes, int, str]] = [
    (b'{"end_ms": 1e26}', 422, "1e+26"),
    (b'{"end_ms": 100000000000000}', 422, "100000000000000"),
    (b'{"end_ms": 11001}', 422, "11001"),  # past the media's 11 s
    (b'{"start_ms": 12000}', 422, "12000"),
    (b'{"start_ms": 1.5}', 422, "1.5"),
    (b'{"start_ms": -1}', 422, "-1"),
    (b'{"end_ms": NaN}', 422, "nan"),
    (b'{"end_ms": Infinity}', 422, "inf"),
    (b'{"end_ms": 1e999}', 422, "1e999"),
    (b'{"text": "MARKER\\u0000"}', 422, "MARKER"),
    (b'{"text": "MARKER\\u001b[31m"}', 422, "MARKER"),
    (b'{"text": "MARKER\\u0085"}', 422, "MARKER"),
    (b'{"text": "MARKER\\ud800"}', 422, "MARKER"),
    (f'{{"text": "{BIG}"}}'.encode(), 422, "MARKER"),
    (b'{"MARKER": 1}', 422, "MARKER"),  # nothing to change
    (b"[" * 100_000 + b"]" * 100_000, 400, "[[["),
    (b'{"text": ' * 40 + b'"MARKER"' + b"}" * 40, 400, "MARKER"),
    (b"MARKER not json", 422, "MARKER"),
]


@pytest.mark.parametrize(("body", "code", "sent"), BAD_EDITS,
                         ids=[b[:24].decode("latin-1") for b, _, _ in BAD_EDITS])
def test_bad_segment_edits_are_refused_without_echo(served: Served, body: bytes, code: int,
                                                    sent: str) -> None:
    first = served.original[0]["id"]
    response = served.client.patch(f"/api/jobs/{served.job_id}/segments/{first}",
                                   content=body, headers=JSON)
    assert_refused(response, code, sent)
    assert served.segments() == served.original


def test_unknown_segments_and_jobs_are_not_echoed(served: Served) -> None:
    response = served.client.patch(f"/api/jobs/{served.job_id}/segments/{10**30}",
                                   json={"text": "x"})
    assert_refused(response, 422, str(10**30))
    assert_refused(served.client.get("/api/jobs/MARKER" + "z" * 300), 404, "MARKER")


def test_error_details_stay_short_whatever_was_sent(served: Served) -> None:
    url = f"/api/jobs/{served.job_id}/cleanup/revert"
    unknown = [f"MARKER{i:058d}" for i in range(5000)]  # well-formed ids, none known
    response = served.client.post(url, json={"ids": unknown})
    assert response.status_code == 422 and len(response.content) < 400
    assert "no change with id MARKER" in response.json()["detail"]  # the start, cut short
    assert_refused(served.client.post(url, json={"ids": ["MARKER/../x"]}), 422, "MARKER")
    assert_refused(served.client.post(url, json={"all": True, "kind": "MARKER" * 10}), 422,
                   "MARKER")


def test_an_arrow_in_the_text_cannot_start_a_cue(served: Served) -> None:
    first = served.original[0]["id"]
    url = f"/api/jobs/{served.job_id}/segments/{first}"
    edited = served.client.patch(url, json={"text": "A --> B 00:00:01,000 --> 00:00:02,000"})
    assert edited.status_code == 200, edited.text
    srt = served.client.get(f"/api/jobs/{served.job_id}/subtitles/srt").text
    assert "A \u2192 B" in srt
    timing = [line for line in srt.splitlines() if "-->" in line]
    assert len(timing) == len(served.original)
    vtt = served.client.get(f"/api/jobs/{served.job_id}/subtitles/vtt").text
    assert "A --&gt; B" in vtt
    assert served.client.post(f"/api/jobs/{served.job_id}/undo").status_code == 200
    assert served.segments() == served.original


def test_undo_works_after_the_export_failed(served: Served) -> None:
    first = served.original[0]["id"]
    url = f"/api/jobs/{served.job_id}/segments/{first}"
    served.submitter.fail_exports = True
    try:
        edited = served.client.patch(url, json={"text": "an edit whose export fails"})
        assert edited.status_code == 200, edited.text
        job = served.client.get(f"/api/jobs/{served.job_id}").json()
        # the subtitles from before are still served: completed, the failure reported beside
        assert job["state"] == "completed" and job["error"] is None, job
        assert job["export_error"].startswith("subtitles")
        assert served.client.get(f"/api/jobs/{served.job_id}/subtitles/srt").status_code == 200
        assert served.segments()[0]["text"] == "an edit whose export fails"
    finally:
        served.submitter.fail_exports = False
    undone = served.client.post(f"/api/jobs/{served.job_id}/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json() == served.original
    after = served.client.get(f"/api/jobs/{served.job_id}").json()
    assert after["state"] == "completed" and after["export_error"] is None
    srt = served.client.get(f"/api/jobs/{served.job_id}/subtitles/srt").text
    assert served.original[0]["text"].split("\n")[0] in srt


def tone_wav(seconds: float = 1.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(i / 9)))
                               for i in range(int(16000 * seconds))))
    return out.getvalue()


@pytest.mark.parametrize(("body", "code"), [
    (b'{"path": "MARKER.wav", "lufs_target": NaN}', 422),
    (b'{"path": "MARKER.wav", "lufs_target": -Infinity}', 422),
    (b'{"path": ' * 50 + b'"MARKER"' + b"}" * 50, 400),
    (b"[" * 50_000 + b'"MARKER"' + b"]" * 50_000, 400),
    (b"MARKER", 422),
])
def test_create_refuses_non_finite_numbers_and_deep_json(served: Served, body: bytes,
                                                         code: int) -> None:
    assert_refused(served.client.post("/api/jobs", content=body, headers=JSON), code, "MARKER")


@pytest.mark.parametrize("fields", [
    {"lufs_target": "nan"}, {"lufs_target": "inf"}, {"beam_size": "99999999999999"},
    {"separation_model": "/etc/passwd.th"}, {"separation_model": "../demucs.yaml"},
])
def test_create_refuses_impossible_form_options(served: Served, fields: dict[str, str]
                                                ) -> None:
    response = served.client.post("/api/jobs", files={"file": ("a.wav", tone_wav())},
                                  data=fields)
    assert_refused(response, 422, next(iter(fields.values())))
    assert next(iter(fields)) in response.json()["detail"]


def test_model_names_only_with_one_message_whatever_exists(served: Served) -> None:
    answers = []
    for model in ("/etc", "/nonexistent", "/tmp", "data", "../models", "tiny.en/.."):
        response = served.client.post("/api/jobs", files={"file": ("a.wav", tone_wav())},
                                      data={"model": model})
        assert_refused(response, 422, "/etc" if model == "/etc" else "nonexistent")
        answers.append(response.json()["detail"])
    assert len(set(answers)) == 1 and answers[0].startswith("model must be one of tiny.en")


def test_the_query_token_is_taken_only_by_the_event_stream(served: Served,
                                                          tmp_path: Path) -> None:
    bare = TestClient(served.app)
    query = {"access_token": TOKEN}
    for path in ("/api/jobs", f"/api/jobs/{served.job_id}",
                 f"/api/jobs/{served.job_id}/subtitles/srt"):
        assert bare.get(path, params=query).status_code == 401, path
        assert bare.get(path, headers=AUTH).status_code == 200, path
    assert bare.post(f"/api/jobs/{served.job_id}/undo", params=query).status_code == 401

    # The event stream itself never ends, so its route is tried on an app of its own.
    app = FastAPI(dependencies=[Depends(require_token)])
    app.state.media_pipeline = AppState(
        runtime=RuntimeSettings(data_dir=tmp_path, api_token=TOKEN),
        settings=PipelineSettings(), jobs=None, events=None)  # type: ignore[arg-type]
    app.add_api_route("/api/events", lambda: {"ok": True}, methods=["GET"])
    app.add_api_route("/api/jobs", lambda: {"ok": True}, methods=["GET"])
    client = TestClient(app)
    assert client.get("/api/events", params=query).status_code == 200
    assert client.get("/api/events", params={"access_token": "wrong"}).status_code == 401
    assert client.get("/api/jobs", params=query).status_code == 401


def test_the_library_records_the_decoded_duration_not_the_header(served: Served,
                                                                 tmp_path: Path) -> None:
    mp3 = forged_mp3(tmp_path / "forged.mp3", seconds=8.0)
    made = served.client.post("/api/jobs", files={"file": ("forged.mp3", mp3.read_bytes())})
    assert made.status_code == 201, made.text
    job = served.client.get(f"/api/jobs/{made.json()['id']}").json()
    assert job["state"] == "completed", job
    assert abs(job["progress"]["duration_s"] - 8.0) < 0.1
    row = Library(served.data_dir / "library.duckdb").get(job["media_key"])
    assert row is not None and row.duration_s is not None
    assert abs(row.duration_s - 8.0) < 0.1  # the header claims 56 million seconds
