"""What the browser page needs of the API (issue 14): session cookie, page and offline docs,
library, media with Range, waveform, confidence, rule checks, split/merge, preview, voices.

The real app in this process (TestClient) over a temporary Dagster instance; runs are
executed at once by :class:`InlineSubmitter` with the fake Whisper (recognition is not
measured here): real ffmpeg, VAD, Dagster, DuckDB and the pipeline's artifacts of
``jfk.wav``. The tests share the module's job, in file order.
"""

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from media_pipeline.api.app import create_app
from media_pipeline.batch import Batch, process_files
from media_pipeline.definitions import build_definitions
from media_pipeline.jobs.views import media_type
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME, SUBTITLES_JOB
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.web import INDEX_HTML, STATIC_DIR
from media_pipeline_tests.api.test_validation import FAKE, InlineSubmitter

pytestmark = pytest.mark.slow
TOKEN = "web-api-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# A short preview keeps the render cheap; the job is made with preview off, as by default.
SETTINGS = PipelineSettings(preview_seconds=2.0)


@dataclass
class Web:
    client: TestClient
    app: FastAPI
    data_dir: Path
    job_id: str
    source: Path

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Iterator[Web]:
    data_dir = tmp_path_factory.mktemp("web-api") / "data"
    runtime = RuntimeSettings(data_dir=data_dir, api_token=TOKEN)
    job = build_definitions(runtime, SETTINGS, whisper=FAKE).resolve_job_def(SUBTITLES_JOB)
    with dg.instance_for_test() as instance:
        app = create_app(runtime, SETTINGS, submitter=InlineSubmitter(job, instance),
                         instance=instance, watch=False)
        app.state.media_pipeline.jobs.storage = StorageResource.at(data_dir, FAKE)
        client = TestClient(app, headers=AUTH)
        source = corpus / "jfk" / "jfk.wav"
        made = client.post("/api/jobs", files={"file": ("jfk.wav", source.read_bytes())})
        assert made.status_code == 201, made.text
        job_id = made.json()["id"]
        assert client.get(f"/api/jobs/{job_id}").json()["state"] == "completed"
        yield Web(client, app, data_dir, job_id, source)


def test_the_page_answers_without_a_token(web: Web) -> None:
    bare = TestClient(web.app)
    page = bare.get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    if INDEX_HTML.is_file():
        assert page.content == INDEX_HTML.read_bytes()
    else:
        assert "make web" in page.text
    assert bare.get("/api/jobs").status_code == 401
    assert bare.get("/static/nope.js").status_code == 404


def _local_refs(html: str) -> list[str]:
    return re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)["\']', html)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_nothing_from_outside(web: Web, path: str) -> None:
    bare = TestClient(web.app)
    html = bare.get(path).text
    assert "http:" not in html and "https:" not in html and "cdn" not in html.lower()
    refs = _local_refs(html)
    assert refs, html
    for ref in refs:
        assert ref == "data:," or ref.startswith("/static/"), ref
    assert "/openapi.json" in html and bare.get("/openapi.json").status_code == 200
    vendor = STATIC_DIR / "vendor"
    if not vendor.is_dir():
        pytest.skip("the vendored Swagger UI / Redoc files are not in web/static/vendor yet")
    for ref in refs:
        if ref.startswith("/static/"):
            answer = bare.get(ref)
            assert answer.status_code == 200 and len(answer.content) > 1000, ref


def test_the_token_becomes_a_cookie(web: Web) -> None:
    bare = TestClient(web.app)
    assert bare.get("/api/session").json() == {"auth_required": True, "authenticated": False}
    assert bare.post("/api/session", json={"token": "wrong"}).status_code == 401
    assert "set-cookie" not in bare.post("/api/session", json={"token": "x"}).headers
    made = bare.post("/api/session", json={"token": TOKEN})
    assert made.status_code == 204, made.text
    cookie = made.headers["set-cookie"]
    assert cookie.startswith(f"mp_session={TOKEN};") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    # The cookie alone now opens the API: what <video src> and EventSource send.
    assert bare.get("/api/session").json()["authenticated"] is True
    assert bare.get(f"/api/jobs/{web.job_id}").status_code == 200
    assert bare.get(f"/api/jobs/{web.job_id}/media", headers={"Range": "bytes=0-9"}
                    ).status_code == 206
    assert bare.delete("/api/session").status_code == 204
    bare.cookies.clear()  # the client keeps what the server told it to expire; a browser not
    assert bare.get("/api/jobs").status_code == 401
    # The query token stays limited to the event stream and the media servers' hooks.
    assert bare.get(f"/api/jobs?access_token={TOKEN}").status_code == 401
    bare.cookies.set("mp_session", "forged")
    assert bare.get("/api/jobs").status_code == 401


def test_the_library_lists_files_with_their_job(web: Web) -> None:
    items = web.ok("GET", "/api/library")
    mine = [i for i in items if i["job_id"] == web.job_id]
    assert len(mine) == 1
    item = mine[0]
    assert item["status"] == "completed" and item["name"] == "jfk.wav"
    assert item["media_key"] == web.job_id and item["error"] is None
    assert abs(item["duration_s"] - 11.0) < 0.2 and item["updated_at"] > 1.7e9
    assert web.ok("GET", "/api/library", params={"status": "failed"}) == []
    assert [i["job_id"] for i in web.ok("GET", "/api/library", params={"q": "JFK"})] == \
        [web.job_id]
    assert web.ok("GET", "/api/library", params={"q": "nothing-like-it"}) == []


def test_media_is_served_with_ranges(web: Web) -> None:
    url = f"/api/jobs/{web.job_id}/media"
    whole = web.client.get(url)
    assert whole.status_code == 200 and whole.content == web.source.read_bytes()
    assert whole.headers["content-type"] in ("audio/x-wav", "audio/wav")
    part = web.client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    info = web.ok("GET", f"/api/jobs/{web.job_id}/media-info")
    assert info["has_video"] is False and info["media_type"] == whole.headers["content-type"]
    assert abs(info["duration_s"] - 11.0) < 0.2 and info["name"] == "jfk.wav"
    assert info["model"]
    missing = web.client.get("/api/jobs/0123456789abcdef/media")
    assert missing.status_code == 404 and "no job" in missing.json()["detail"]


def test_waveform_peaks_regions_and_png(web: Web) -> None:
    wave = web.ok("GET", f"/api/jobs/{web.job_id}/waveform")
    peaks = wave["peaks"]
    assert peaks["version"] == 2 and peaks["channels"] == 1 and peaks["bits"] in (8, 16)
    assert len(peaks["data"]) == 2 * peaks["length"] * peaks["channels"]
    seconds = peaks["length"] * peaks["samples_per_pixel"] / peaks["sample_rate"]
    assert abs(seconds - 11.0) < 0.5 and max(peaks["data"]) > 0
    regions = wave["speech_regions"]
    assert regions and all(0 <= r["start_ms"] < r["end_ms"] <= 11_100 for r in regions)
    png = web.client.get(f"/api/jobs/{web.job_id}/waveform.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_confidence_report(web: Web) -> None:
    report = web.ok("GET", f"/api/jobs/{web.job_id}/confidence")
    assert set(report) == {"mean_word_probability", "word_count", "threshold", "low_words",
                           "low_cues"}
    # The fake recognizer gives every word p = 0.9: none is low at the default threshold.
    assert report["word_count"] > 0 and report["mean_word_probability"] == 0.9
    assert report["threshold"] == SETTINGS.min_word_probability
    assert report["low_words"] == [] and report["low_cues"] == []


def test_checks_flag_the_segment_that_breaks_the_profile(web: Web) -> None:
    url = f"/api/jobs/{web.job_id}"
    assert web.ok("GET", f"{url}/checks") == []  # the pipeline's own cues meet the profile
    original = web.ok("GET", f"{url}/segments")[0]
    long_text = " ".join(["unbelievably"] * 6)  # two lines of 38: only too fast and short
    web.ok("PATCH", f"{url}/segments/1", json={"text": long_text, "end_ms": original["start_ms"]
                                                 + 500})
    found = web.ok("GET", f"{url}/checks")
    rules = {c["rule"] for c in found if c["segment_id"] == 1}
    assert {"max_cps", "min_duration", "max_chars_per_line"} & rules == \
        {"max_cps", "min_duration"} and all(c["segment_id"] == 1 for c in found)
    assert any("characters per second" in c["detail"] for c in found)
    web.ok("POST", f"{url}/undo")
    assert web.ok("GET", f"{url}/checks") == []


def test_split_undo_redo_merge_round_trip(web: Web) -> None:
    url = f"/api/jobs/{web.job_id}"
    before = web.ok("GET", f"{url}/segments")
    first = before[0]
    at = first["text"].index(" ", len(first["text"]) // 2)
    split = web.client.post(f"{url}/segments/1/split", json={"at_char": at})
    assert split.status_code == 200, split.text
    after = split.json()
    assert len(after) == len(before) + 1 and [s["id"] for s in after] == \
        list(range(1, len(after) + 1))
    head, tail = after[0], after[1]
    assert f"{head['text']} {tail['text']}".replace("\n", " ") == \
        first["text"].replace("\n", " ")
    assert head["start_ms"] == first["start_ms"] and tail["end_ms"] == first["end_ms"]
    assert head["end_ms"] == tail["start_ms"]
    depth = int(split.headers["x-undo-depth"])
    srt = web.client.get(f"{url}/subtitles/srt").text  # re-exported like after a PATCH
    assert "\n2\n" in srt and tail["text"].split("\n")[0] in srt.split("\n\n")[1]
    undone = web.client.post(f"{url}/undo")
    assert undone.json() == before and int(undone.headers["x-redo-depth"]) == 1
    redone = web.client.post(f"{url}/redo")
    assert redone.json() == after and int(redone.headers["x-undo-depth"]) == depth
    merged = web.client.post(f"{url}/segments/1/merge", json={})  # as the page sends it
    assert merged.status_code == 200 and len(merged.json()) == len(before)
    assert merged.json()[0]["end_ms"] == first["end_ms"]
    for bad in ({"at_char": 0}, {"at_char": 5000}, {"at_char": 3, "at_ms": 0}):
        assert web.client.post(f"{url}/segments/1/split", json=bad).status_code == 422, bad
    last = len(merged.json())
    assert web.client.post(f"{url}/segments/{last}/merge").status_code == 422
    assert web.client.post("/api/jobs/0123456789abcdef/segments/1/merge").status_code == 404


def test_preview_renders_on_request_and_goes_stale_after_an_edit(web: Web) -> None:
    url = f"/api/jobs/{web.job_id}"
    assert web.ok("GET", f"{url}/preview/status") == {"state": "none", "error": None}
    early = web.client.get(f"{url}/preview")
    assert early.status_code == 409 and "state: none" in early.json()["detail"]
    asked = web.client.post(f"{url}/preview")
    assert asked.status_code in (200, 202), asked.text
    assert asked.json()["state"] in ("rendering", "ready")
    assert web.ok("GET", f"{url}/preview/status")["state"] == "ready"
    mp4 = web.client.get(f"{url}/preview")
    assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4"
    assert mp4.content[4:8] == b"ftyp"
    assert web.client.get(f"{url}/preview", headers={"Range": "bytes=0-7"}).status_code == 206
    assert web.ok("GET", url)["state"] == "completed"
    web.ok("PATCH", f"{url}/segments/2", json={"text": "Changed after the preview."})
    assert web.ok("GET", f"{url}/preview/status")["state"] == "none"


def test_a_library_file_without_an_api_job_opens_by_its_key(web: Web,
                                                              tmp_path: Path) -> None:
    """A file the inbox or ``process`` made (runs without a job tag) is a job by media key."""
    source = tmp_path / "inbox" / "short.wav"
    source.parent.mkdir()
    shutil.copy(web.source, source)
    with source.open("ab") as fh:
        fh.write(b"\0" * 64)  # other bytes, other media key
    runtime = web.app.state.media_pipeline.runtime
    [result] = process_files([source], Batch(runtime, FAKE), SETTINGS)
    assert result.status == "completed", result
    key = result.key
    assert key is not None and key != web.job_id
    # ``process`` ran on the data root's own instance; the served one shares it in use.
    web.app.state.media_pipeline.instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, [key])
    listed = [i for i in web.ok("GET", "/api/library") if i["media_key"] == key]
    assert listed and listed[0]["job_id"] == key and listed[0]["status"] == "completed"
    job = web.ok("GET", f"/api/jobs/{key}")
    assert job["state"] == "completed" and job["name"] == "short.wav" and "srt" in job["outputs"]
    web.ok("PATCH", f"/api/jobs/{key}/segments/1", json={"text": "Edited in the browser."})
    assert "Edited in the browser." in web.client.get(f"/api/jobs/{key}/subtitles/srt").text
    assert web.ok("GET", f"/api/jobs/{key}")["state"] == "completed"
    assert len(web.ok("POST", f"/api/jobs/{key}/undo")) >= 1


@pytest.mark.parametrize(("name", "has_video", "expected"), [
    ("a.flac", False, "audio/flac"), ("a.mp3", True, "audio/mpeg"),  # cover art: still audio
    ("a.mkv", False, "audio/x-matroska"), ("a.mkv", True, "video/x-matroska"),
    ("a.mp4", False, "audio/mp4"), ("a.mov", True, "video/quicktime"),
    ("a.webm", False, "audio/webm"),
])
def test_media_types_a_player_can_use(name: str, has_video: bool, expected: str) -> None:
    assert media_type(Path(name), has_video) == expected
