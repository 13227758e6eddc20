"""The completion webhook (jobs/webhook.py) against real HTTP receivers on loopback.

A receiver is ``http.server`` in a thread, answering each POST with the next status of its
script. The sender is tested alone with short back-off, then inside a served app (the job
watcher hands it the finished job): a media server's hook queues a file, the run completes,
and the receiver gets one JSON notice with no secret in it.
"""

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from media_pipeline.api.app import create_app
from media_pipeline.definitions import build_definitions
from media_pipeline.jobs.webhook import CompletionWebhook, job_summary, safe_target
from media_pipeline.partitions import SUBTITLES_JOB
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline_tests.api.test_validation import FAKE, InlineSubmitter

TOKEN = "webhook-test-token-7f3a"
SECRET_QUERY = "receiver-key-91c2"


class Receiver:
    """Records every POST; answers with ``script`` in turn (then 200), or per job id."""

    def __init__(self, script: list[int] | None = None, delay_s: float = 0.0,
                 failing_job: str | None = None) -> None:
        self.script = list(script or [])
        self.delay_s = delay_s
        self.failing_job = failing_job
        self.posts: list[tuple[int, bytes, dict[str, str]]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(receiver.delay_s)
                code = receiver.answer(raw)
                with receiver.lock:
                    receiver.posts.append((code, raw, dict(self.headers)))
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, raw: bytes) -> int:
        with self.lock:
            if self.failing_job is not None:
                return 503 if json.loads(raw)["job_id"] == self.failing_job else 200
            return self.script.pop(0) if self.script else 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook?key={SECRET_QUERY}"

    def bodies(self, code: int = 200) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(raw) for c, raw, _ in self.posts if c == code]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver([500, 500])
    yield found
    found.close()


def down_url() -> str:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def event(job_id: str, state: str = "completed") -> dict[str, Any]:
    """A terminal job event as the watcher publishes it (``Job.to_json()``)."""
    return {"id": job_id, "state": state, "progress": {"percent": 100.0},
            "error": "decoding failed" if state == "failed" else None, "export_error": None,
            "outputs": {"srt": f"/api/jobs/{job_id}/subtitles/srt"},
            "media_key": job_id[:16], "name": "talk.wav",
            "options": {"lyrics": "private words", "model": "base"},
            "created_at": 1000.0, "updated_at": 1012.5, "run_id": "r-1", "runs": 1}


def wait_for(check: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_two_failures_are_retried_and_the_notice_delivered_once(receiver: Receiver) -> None:
    sender = CompletionWebhook(receiver.url, first_delay_s=0.05)
    sender.start()
    try:
        sender.job_finished(event("0123456789abcdef"))
        wait_for(lambda: sender.delivered == 1)
        time.sleep(0.3)  # nothing more comes
    finally:
        sender.stop()
    assert [code for code, _, _ in receiver.posts] == [500, 500, 200]
    assert len({raw for _, raw, _ in receiver.posts}) == 1  # the same body each time
    body = receiver.bodies()[0]
    assert body == {"event": "job.completed", "job_id": "0123456789abcdef",
                    "reason": "processed", "state": "completed", "media_key": "0123456789abcdef",
                    "name": "talk.wav", "source_path": None, "language": None,
                    "outputs": {"srt": "/api/jobs/0123456789abcdef/subtitles/srt"},
                    "error": None, "run_id": "r-1", "created_at": 1000.0,
                    "finished_at": 1012.5, "elapsed_s": 12.5}
    headers = receiver.posts[-1][2]
    assert headers["Content-Type"] == "application/json"
    assert "Authorization" not in headers


def test_a_receiver_that_is_down_gets_bounded_attempts_and_blocks_nothing() -> None:
    sender = CompletionWebhook(down_url(), attempts=3, first_delay_s=0.02)
    sender.start()
    try:
        began = time.monotonic()
        for n in range(5):
            sender.job_finished(event(f"{n:016x}", "failed"))
        assert time.monotonic() - began < 0.1  # queued, not sent, by the caller
        wait_for(lambda: sender.given_up == 5)
        assert sender.wait_idle(1.0) and sender.delivered == 0
    finally:
        sender.stop()


def test_one_failing_notice_does_not_hold_the_others_back() -> None:
    bad = "badbadbadbadbad0"
    receiver = Receiver(failing_job=bad)
    sender = CompletionWebhook(receiver.url, attempts=4, first_delay_s=0.1)
    sender.start()
    try:
        sender.job_finished(event(bad, "cancelled"))
        sender.job_finished(event("0000000000000001"))
        sender.job_finished(event("0000000000000002"))
        wait_for(lambda: sender.given_up == 1)
    finally:
        sender.stop()
        receiver.close()
    codes = [(json.loads(raw)["job_id"], code) for code, raw, _ in receiver.posts]
    assert [c for j, c in codes if j == bad] == [503] * 4  # exactly the bounded attempts
    delivered = [j for j, c in codes if c == 200]
    assert delivered == ["0000000000000001", "0000000000000002"]
    assert codes.index(("0000000000000002", 200)) < len(codes) - 1  # before bad gave up


def test_a_refusal_is_final_and_running_jobs_are_not_sent() -> None:
    receiver = Receiver([400])
    sender = CompletionWebhook(receiver.url, first_delay_s=0.01)
    sender.start()
    try:
        sender.job_finished(event("0000000000000003", "transcribing"))  # not finished
        sender.job_finished(event("0000000000000004"))
        wait_for(lambda: sender.given_up == 1)
        time.sleep(0.1)
    finally:
        sender.stop()
        receiver.close()
    assert [code for code, _, _ in receiver.posts] == [400]


def test_a_stop_does_not_wait_for_a_hanging_receiver() -> None:
    receiver = Receiver(delay_s=3.0)
    sender = CompletionWebhook(receiver.url, timeout_s=0.3, first_delay_s=0.05)
    sender.start()
    try:
        sender.job_finished(event("0000000000000005"))
        time.sleep(0.1)  # the POST is in flight
        began = time.monotonic()
        sender.stop(timeout_s=2.0)
        assert time.monotonic() - began < 1.0
        assert sender._thread is not None and not sender._thread.is_alive()
    finally:
        receiver.close()


def test_the_summary_holds_no_options_and_logs_show_no_receiver_secret() -> None:
    body = job_summary({**event("0000000000000006"), "export": True}, "/library/talk.wav", "en")
    assert body["reason"] == "edited"
    assert "options" not in body and "private words" not in json.dumps(body)
    assert body["source_path"] == "/library/talk.wav" and body["language"] == "en"
    assert safe_target(f"https://user:pw@hooks.example:8443/x?key={SECRET_QUERY}") == \
        "https://hooks.example:8443"


@dataclass(frozen=True)
class Pipeline:
    data_dir: Path
    job: dg.JobDefinition


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The subtitles job over one data root (the fake Whisper), shared by the served apps."""
    data_dir = tmp_path_factory.mktemp("webhook-served") / "data"
    return Pipeline(data_dir, build_definitions(RuntimeSettings(data_dir=data_dir),
                                                PipelineSettings(), whisper=FAKE
                                                ).resolve_job_def(SUBTITLES_JOB))


@contextmanager
def served_job(tmp_path: Path, corpus: Path, pipeline: Pipeline, webhook_url: str
               ) -> Iterator[tuple[TestClient, dict[str, Any], dict[str, float]]]:
    """A served app whose Jellyfin hook got one new item, run to its end: the client, the
    job, and (once the block is left) how long the app took to stop, as ``stop_s``."""
    root, data_dir = tmp_path / "library", pipeline.data_dir
    (root / "talks").mkdir(parents=True)
    shutil.copy(corpus / "jfk" / "jfk.wav", root / "talks" / "jfk.wav")
    runtime = RuntimeSettings(data_dir=data_dir, api_token=TOKEN, library_root=root,
                              path_map=f"/media={root}", webhook_url=webhook_url)
    timing: dict[str, float] = {}
    with dg.instance_for_test() as instance:
        submitter = InlineSubmitter(pipeline.job, instance)
        app = create_app(runtime, PipelineSettings(), submitter=submitter, instance=instance)
        app.state.media_pipeline.jobs.storage = StorageResource.at(data_dir, FAKE)
        with TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            made = client.post("/api/hooks/jellyfin", json={
                "NotificationType": "ItemAdded", "ItemType": "Audio", "Name": "jfk",
                "Path": "/media/talks/jfk.wav", "ServerUrl": "http://jellyfin:8096"})
            assert made.status_code == 201, made.text
            done = client.get(f"/api/jobs/{made.json()['job']['id']}").json()
            assert done["state"] == "completed", done["error"]
            yield client, done, timing
            began = time.monotonic()
        timing["stop_s"] = time.monotonic() - began


@pytest.mark.slow
def test_a_served_job_is_announced_once_through_failures_without_secrets(
        tmp_path: Path, corpus: Path, pipeline: Pipeline,
        receiver: Receiver) -> None:
    with served_job(tmp_path, corpus, pipeline, receiver.url) as (client, job, _):
        wait_for(lambda: bool(receiver.bodies()), timeout_s=30.0)
        time.sleep(0.5)  # no second notice for the same run
        assert [code for code, _, _ in receiver.posts] == [500, 500, 200]
        edited = client.patch(f"/api/jobs/{job['id']}/segments/1", json={"text": "Ask not."})
        assert edited.status_code == 200, edited.text
        wait_for(lambda: len(receiver.bodies()) == 2, timeout_s=30.0)
    again = receiver.bodies()[1]
    assert again["job_id"] == job["id"] and again["reason"] == "edited"
    body = receiver.bodies()[0]
    assert body["event"] == "job.completed" and body["job_id"] == job["id"]
    assert body["reason"] == "processed"
    assert body["media_key"] == job["media_key"] and body["error"] is None
    assert body["source_path"] == str(tmp_path / "library" / "talks" / "jfk.wav")
    assert body["outputs"]["srt"] == f"/api/jobs/{job['id']}/subtitles/srt"
    assert body["elapsed_s"] is not None and body["elapsed_s"] >= 0
    assert body["language"] is None or isinstance(body["language"], str)
    raw = receiver.posts[-1][1].decode()
    assert TOKEN not in raw and SECRET_QUERY not in raw and "options" not in raw


@pytest.mark.slow
def test_a_server_with_its_receiver_down_keeps_working_and_stops_promptly(
        tmp_path: Path, corpus: Path, pipeline: Pipeline) -> None:
    with served_job(tmp_path, corpus, pipeline, down_url()) as (client, job, timing):
        time.sleep(1.5)  # the watcher found the end; the sender is failing and waiting
        assert client.get("/api/jobs").status_code == 200
        assert client.get(f"/api/jobs/{job['id']}/subtitles/srt").status_code == 200
    assert timing["stop_s"] < 5.0
