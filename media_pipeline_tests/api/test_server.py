"""End to end against `media-pipeline serve`: real uvicorn, daemon, code server and runs.

The tests of this module share one server (and its jobs), in file order.
"""

import io
import math
import struct
import threading
import time
import wave
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.model import JOB_TAG
from media_pipeline.library.db import Library
from media_pipeline.library.dictionary import DictionaryStore
from media_pipeline.partitions import ACTIVE
from media_pipeline.settings import runtime_settings_from_env
from media_pipeline.store.intake import media_key_of_file
from media_pipeline.store.paths import DataRoot
from media_pipeline.text.dictionary import DictionaryEntry
from media_pipeline_tests.api.conftest import EventReader, Server

pytestmark = pytest.mark.slow
SHARED: dict[str, Any] = {}
ORDER = ["pending", "preprocessing", "transcribing", "refining", "exporting",
         "rendering_preview"]


def tone_wav(seed: int, seconds: float = 1.0) -> bytes:
    """A small valid WAV, different for every ``seed``."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        freq = 200 + 37 * seed
        w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * freq * i
                                                                    / 16000)))
                               for i in range(int(16000 * seconds))))
    return out.getvalue()


def stored_media(server: Server) -> list[str]:
    media = server.data_dir / "media"
    return sorted(p.name for p in media.iterdir()) if media.exists() else []


def wait_for_srt(server: Server, job_id: str, text: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        srt = server.request("GET", f"/api/jobs/{job_id}/subtitles/srt").text
        if text in srt:
            return srt
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never reached the SRT")


def test_every_request_needs_the_token(server: Server) -> None:
    assert httpx.get(server.url + "/api/jobs").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(server.url + "/api/jobs", headers=wrong).status_code == 401
    assert httpx.post(server.url + "/api/jobs", json={"path": "x.wav"}).status_code == 401
    assert server.request("GET", "/api/jobs").status_code == 200
    assert "/api/jobs/{job_id}/segments" in httpx.get(server.url + "/openapi.json").text


def test_lifecycle_and_event_order(server: Server, corpus: Path) -> None:
    reader = EventReader(server)
    try:
        response = server.upload("jfk.wav", (corpus / "jfk" / "jfk.wav").read_bytes())
        assert response.status_code == 201, response.text
        job = response.json()
        assert set(job) >= {"id", "state", "progress", "error", "outputs"}
        assert job["state"] == "pending" and job["error"] is None
        events = reader.wait_for(job["id"], ("job_completed", "job_failed"))
    finally:
        reader.close()
    types = [e["type"] for e in events]
    assert types[0] == "job_created" and types[-1] == "job_completed", types
    states = [e["data"]["state"] for e in events if e["type"] == "job_state"]
    assert states == sorted(states, key=ORDER.index), states  # never goes back
    assert {"preprocessing", "transcribing", "refining", "exporting"} <= set(states)
    assert "rendering_preview" not in states  # preview is off: its step passes through
    progress = [e["data"]["progress"] for e in events if e["type"] == "job_progress"]
    assert progress and progress[-1]["transcribed_s"] > 0
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)

    done = server.job(job["id"])
    assert done["state"] == "completed" and done["progress"]["percent"] == 100
    assert "srt" in done["outputs"]
    srt = server.request("GET", done["outputs"]["srt"])
    assert srt.status_code == 200 and "-->" in srt.text and "country" in srt.text.lower()
    assert server.request("GET", f"/api/jobs/{job['id']}/subtitles/nope").status_code == 404
    SHARED["jfk"] = job["id"]

    # Resuming with Last-Event-ID replays what came after that event, in order.
    again = EventReader(server, last_event_id=events[0]["id"])
    try:
        replay = again.wait_for(job["id"], ("job_completed",), timeout_s=10)
    finally:
        again.close()
    assert [e["type"] for e in replay] == types[1:]


def test_the_library_can_be_searched(server: Server) -> None:
    hits = server.request("GET", "/api/search", params={"q": "ask not what YOUR country"})
    assert hits.status_code == 200, hits.text
    [hit] = hits.json()
    assert hit["key"] == SHARED["jfk"] and hit["start_ms"] > 1000
    assert "ask not" in hit["text"]
    assert server.request("GET", "/api/search", params={"q": ""}).status_code == 422


def test_same_content_and_options_is_the_same_job(server: Server, corpus: Path) -> None:
    job_id = SHARED["jfk"]
    runs = server.job(job_id)["runs"]
    same = server.upload("another name.wav", (corpus / "jfk" / "jfk.wav").read_bytes())
    assert same.status_code == 200 and same.json()["id"] == job_id
    assert same.json()["state"] == "completed" and server.job(job_id)["runs"] == runs
    # A file of the library root, by path: same bytes, so the same job again.
    (server.data_dir / "library" / "talks").mkdir(parents=True, exist_ok=True)
    (server.data_dir / "library" / "talks" / "jfk.wav").write_bytes(
        (corpus / "jfk" / "jfk.wav").read_bytes())
    by_path = server.request("POST", "/api/jobs", json={"path": "talks/jfk.wav"})
    assert by_path.status_code == 200 and by_path.json()["id"] == job_id
    other = server.upload("jfk.wav", (corpus / "jfk" / "jfk.wav").read_bytes(), profile="bbc")
    assert other.status_code == 201 and other.json()["id"].startswith(job_id + "-")
    server.request("POST", f"/api/jobs/{other.json()['id']}/cancel")


def test_unsafe_uploads_are_refused_and_nothing_is_stored(server: Server) -> None:
    media_before = stored_media(server)
    rows_before = len(Library(server.data_dir / "library.duckdb").rows())
    bad = server.upload("../../evil.wav", b"not media at all")
    assert bad.status_code == 415, bad.text
    assert server.upload("../../x.wav", b"").status_code == 422
    assert server.request("POST", "/api/jobs", json={"path": "../../../etc/passwd"}
                          ).status_code == 403
    assert server.request("POST", "/api/jobs", json={"path": "missing.wav"}).status_code == 404
    assert server.upload("a.wav", tone_wav(1), language="english!").status_code == 422
    assert server.upload("a.wav", tone_wav(1), profile="nope").status_code == 422
    assert stored_media(server) == media_before
    assert len(Library(server.data_dir / "library.duckdb").rows()) == rows_before
    leftovers = [p for p in (server.data_dir / "uploads").iterdir()]
    assert leftovers == []
    assert not (server.data_dir.parent / "evil.wav").exists()


def test_51_edits_then_50_undos(server: Server) -> None:
    job_id = SHARED["jfk"]
    segments = server.request("GET", f"/api/jobs/{job_id}/segments").json()
    assert segments and set(segments[0]) == {"id", "start_ms", "end_ms", "text"}
    original = segments[0]["text"]
    url = f"/api/jobs/{job_id}/segments/{segments[0]['id']}"
    for i in range(51):
        response = server.request("PATCH", url, json={"text": f"Edit number {i}"})
        assert response.status_code == 200, response.text
    assert response.headers["X-Undo-Depth"] == "50"
    wait_for_srt(server, job_id, "Edit number 50")
    for _ in range(50):
        undo = server.request("POST", f"/api/jobs/{job_id}/undo")
        assert undo.status_code == 200
    assert undo.json()[0]["text"] == "Edit number 0"  # 51 edits, 50 kept
    assert server.request("POST", f"/api/jobs/{job_id}/undo").status_code == 409
    redo = server.request("POST", f"/api/jobs/{job_id}/redo")
    assert redo.status_code == 200 and redo.json()[0]["text"] == "Edit number 1"
    server.request("PATCH", url, json={"text": original})
    assert server.request("POST", f"/api/jobs/{job_id}/redo").status_code == 409
    bad = server.request("PATCH", url, json={"start_ms": 10, "end_ms": 5})
    assert bad.status_code == 422
    assert server.request("PATCH", f"/api/jobs/{job_id}/segments/999",
                          json={"text": "x"}).status_code == 422
    SHARED["undo_depth"] = server.request("GET", f"/api/jobs/{job_id}/segments"
                                          ).headers["X-Undo-Depth"]


def test_concurrent_edits(server: Server) -> None:
    job_id = SHARED["jfk"]
    segments = server.request("GET", f"/api/jobs/{job_id}/segments").json()
    codes: list[int] = []

    def edit(n: int) -> None:
        seg = segments[n % len(segments)]
        for j in range(3):
            codes.append(server.request("PATCH", f"/api/jobs/{job_id}/segments/{seg['id']}",
                                        json={"text": f"Worker {n} says {j}"}).status_code)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 18
    after = server.request("GET", f"/api/jobs/{job_id}/segments")
    assert int(after.headers["X-Undo-Depth"]) == int(SHARED["undo_depth"]) + 18  # none lost
    final = [s["text"] for s in after.json()]
    for n, text in enumerate(final[:6]):
        assert text.startswith("Worker ") and text.endswith(" says 2"), (n, text)
    wait_for_srt(server, job_id, final[0])
    SHARED["final_texts"] = final


def test_cleanup_changes_are_listed_and_reverted(server: Server, corpus: Path) -> None:
    clip = corpus / "librispeech" / "1272-128104-0000.wav"
    key = media_key_of_file(clip)
    DictionaryStore(Library(server.data_dir / "library.duckdb")).add(
        DictionaryEntry("apostle", "herald", scope=key))  # this media only
    job_id = server.upload("quilter.wav", clip.read_bytes()).json()["id"]
    assert server.wait(job_id)["state"] == "completed"
    assert "herald" in wait_for_srt(server, job_id, "herald")
    changes = server.request("GET", f"/api/jobs/{job_id}/cleanup").json()
    [change] = [c for c in changes if c["kind"] == "dictionary"]
    assert change["before"] == "apostle" and change["state"] == "applied"
    unknown = server.request("POST", f"/api/jobs/{job_id}/cleanup/revert",
                             json={"ids": ["deadbeef"]})
    assert unknown.status_code == 422 and "deadbeef" in unknown.json()["detail"]
    reverted = server.request("POST", f"/api/jobs/{job_id}/cleanup/revert",
                              json={"ids": [change["id"]]})
    assert reverted.status_code == 200, reverted.text
    assert {c["id"]: c["state"] for c in reverted.json()}[change["id"]] == \
        "to revert on next run"
    srt = wait_for_srt(server, job_id, "apostle")
    assert "herald" not in srt
    server.wait(job_id)
    after = server.request("GET", f"/api/jobs/{job_id}/cleanup").json()
    assert {c["id"]: c["state"] for c in after}[change["id"]] == "reverted"
    SHARED["quilter"] = job_id


def test_cancel_during_transcription(server: Server, corpus: Path) -> None:
    audio = (corpus / "long" / "fairytale-en.ogg").read_bytes()
    response = server.upload("fairytale.ogg", audio)
    assert response.status_code == 201, response.text
    job_id = response.json()["id"]
    server.wait(job_id, ("transcribing", "refining", "completed", "failed"))
    assert server.job(job_id)["state"] == "transcribing"
    started = time.monotonic()
    cancel = server.request("POST", f"/api/jobs/{job_id}/cancel")
    assert cancel.status_code == 202
    job = server.wait(job_id, timeout_s=30)
    assert job["state"] == "cancelled" and time.monotonic() - started < 10
    # No partial artifact: nothing of the transcript was sealed (or even begun on disk).
    transcripts = list((server.data_dir / "artifacts" / job_id).glob("transcript-*"))
    assert all(not (d / "manifest.json").exists() for d in transcripts)
    assert server.request("GET", f"/api/jobs/{job_id}/subtitles/srt").status_code == 404
    again = server.request("POST", f"/api/jobs/{job_id}/cancel")
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    # The library says so too, so the repair sensor (which runs again every pending file
    # whose run ended early) never brings a cancelled file back.
    row = Library(server.data_dir / "library.duckdb").get(job["media_key"])
    assert row is not None and row.status == "cancelled"


def wait_until_no_run_is_active(server: Server, timeout_s: float = 180) -> None:
    """Until every run of the server's instance has ended: a media run still in flight at a
    stop is queued again on the next start and rightly counts as a waiting media job."""
    runtime = runtime_settings_from_env(server.data_dir, env={})
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    deadline = time.monotonic() + timeout_s
    while instance.get_runs_count(dg.RunsFilter(statuses=list(ACTIVE))):
        assert time.monotonic() < deadline, "runs still active before the restart"
        time.sleep(0.5)


def test_restart_keeps_history_and_the_fourth_waiting_upload_gets_429(server: Server) -> None:
    job_id = SHARED["jfk"]
    wait_until_no_run_is_active(server)
    server.stop()
    server.env = {"MEDIA_PIPELINE_MAX_CONCURRENT_RUNS": "0"}  # nothing leaves the queue
    server.start()
    after = server.request("GET", f"/api/jobs/{job_id}/segments")
    assert after.status_code == 200
    assert [s["text"] for s in after.json()] == SHARED["final_texts"]
    depth = int(after.headers["X-Undo-Depth"])
    assert depth == int(SHARED["undo_depth"]) + 18
    # Undo still works after the restart; its re-export waits in the paused queue but is not
    # a media job, so it does not count against MAX_PENDING_MEDIA_JOBS.
    undo = server.request("POST", f"/api/jobs/{job_id}/undo")
    assert undo.status_code == 200 and int(undo.headers["X-Undo-Depth"]) == depth - 1

    # An export-only run already waits for this job; restoring a cleanup change needs the
    # cues redone, so a full run joins it instead of riding on it.
    quilter = SHARED["quilter"]
    first_id = server.request("GET", f"/api/jobs/{quilter}/segments").json()[0]["id"]
    assert server.request("PATCH", f"/api/jobs/{quilter}/segments/{first_id}",
                          json={"text": "Mister Quilter"}).status_code == 200
    assert server.request("POST", f"/api/jobs/{quilter}/cleanup/restore",
                          json={"all": True}).status_code == 200
    runtime = runtime_settings_from_env(server.data_dir, env={})
    queued = open_instance(DataRoot.of(runtime).dagster_home, runtime).get_runs(dg.RunsFilter(
        tags={JOB_TAG: quilter}, statuses=[dg.DagsterRunStatus.QUEUED]))
    assert sorted(r.asset_selection is None for r in queued) == [False, True]

    waiting = [server.upload(f"w{i}.wav", tone_wav(10 + i)) for i in range(3)]
    assert [r.status_code for r in waiting] == [201, 201, 201]
    assert all(r.json()["state"] == "pending" for r in waiting)
    media_before = stored_media(server)
    fourth = server.upload("w3.wav", tone_wav(13))
    assert fourth.status_code == 429 and int(fourth.headers["Retry-After"]) > 0
    assert stored_media(server) == media_before
    assert len(open_instance(DataRoot.of(runtime).dagster_home, runtime).get_runs()) > 0

    # A queued job is cancelled at once; then there is room again.
    first = waiting[0].json()["id"]
    assert server.request("POST", f"/api/jobs/{first}/cancel").status_code == 202
    assert server.wait(first, timeout_s=10)["state"] == "cancelled"
    assert server.upload("w3.wav", tone_wav(13)).status_code == 201
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    assert instance.get_runs_count() >= 4
    assert any(r.tags.get(JOB_TAG) == first for r in instance.get_runs())


def test_sigterm_stops_everything_promptly(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    srv = Server(data_dir).start()
    assert srv.proc is not None
    log = tmp_path / f"serve-{srv.port}.log"
    started = time.monotonic()
    srv.proc.terminate()
    assert srv.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 6
    assert "stopped" in log.read_text()  # the shutdown path ran, not a bare kill
    time.sleep(0.5)
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit()
            and str(data_dir) in cmdline_of(p)]
    assert left == []


def cmdline_of(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
