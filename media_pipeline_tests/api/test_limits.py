"""Bodies are refused before they are read (api/limits.py), against a real uvicorn process:
its memory is measured, and the requests come over raw sockets."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import dagster as dg
import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from media_pipeline.api.limits import BodyLimitMiddleware, BodyLimits
from media_pipeline.api.uploads import MULTIPART_OVERHEAD
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.model import API_TAG, JOB_TAG, KIND_EXPORT, KIND_PROCESS, KIND_TAG
from media_pipeline.jobs.service import UNCOUNTED_TAG, JobService
from media_pipeline.partitions import NARRATION_JOB, PARTITION_TAG, SUBTITLES_JOB
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.api.conftest import TOKEN, free_port
from media_pipeline_tests.api.rawhttp import (
    MULTIPART,
    declared_upload,
    rss_kb,
    stream_chunked,
)

UPLOAD_MB = 8
THREE_GB = 3 * 10**9
RSS_SLACK_KB = 8 << 10  # allocator noise; a body held in memory would be gigabytes


@dataclass
class Api:
    proc: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kb(self) -> int:
        return rss_kb(self.proc.pid)

    def instance(self) -> dg.DagsterInstance:
        runtime = runtime_settings_from_env(self.data_dir, env={})
        return open_instance(DataRoot.of(runtime).dagster_home, runtime)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    data = tmp_path_factory.mktemp("limits") / "data"
    port = free_port()
    env = {**os.environ, "MEDIA_PIPELINE_DATA_DIR": str(data),
           "MEDIA_PIPELINE_API_TOKEN": TOKEN, "MEDIA_PIPELINE_MAX_UPLOAD_MB": str(UPLOAD_MB),
           "MAX_PENDING_MEDIA_JOBS": "3"}
    log = (data.parent / "uvicorn.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                             "media_pipeline_tests.api.asgi_apps:api_only", "--port", str(port),
                             "--log-level", "warning"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    server = Api(proc, port, data)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (data.parent / "uvicorn.log").read_text()
            try:
                if httpx.get(server.url + "/api/jobs", headers=_auth()).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not answer"
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_a_declared_3_gib_upload_is_refused_before_its_body(api: Api) -> None:
    before = api.rss_kb()
    for token in (None, TOKEN):  # the acceptance script sends no token: 413 all the same
        reply = declared_upload(api.port, 3 * (1 << 30), token=token)
        assert reply.status == 413, reply.head
        assert reply.seconds < 1.0
        assert b"connection: close" in reply.head.lower()
    assert api.rss_kb() - before < RSS_SLACK_KB


def test_a_streamed_3_gb_body_is_cut_off_with_memory_unchanged(api: Api) -> None:
    before = api.rss_kb()
    # Anything but multipart is read into memory by the routes: cut at the small limit.
    json_reply = stream_chunked(api.port, THREE_GB, "application/json", token=TOKEN)
    assert json_reply.status == 413, json_reply.head
    # A multipart upload is cut at MAX_UPLOAD_MB (or refused earlier by the route).
    upload = stream_chunked(api.port, THREE_GB, MULTIPART, token=TOKEN)
    assert upload.status in (411, 413), upload.head
    for reply in (json_reply, upload):
        assert reply.sent < (UPLOAD_MB + 64) << 20, reply  # stopped, not drained
    grown = api.rss_kb() - before
    assert grown < RSS_SLACK_KB, f"RSS grew by {grown} KiB"
    uploads = api.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_json_bodies_are_bounded_on_every_route(api: Api) -> None:
    big = {"text": "word " * 300_000}  # 1.5 MB
    for method, path in (("POST", "/api/narrations"), ("POST", "/api/jobs"),
                         ("PATCH", "/api/jobs/0123456789abcdef/segments/1")):
        response = httpx.request(method, api.url + path, json=big, headers=_auth())
        assert response.status_code == 413, (path, response.text)
        assert "limited to 1 MiB" in response.json()["detail"]
    small = httpx.post(api.url + "/api/jobs", json={"path": "missing.wav"}, headers=_auth())
    assert small.status_code == 404  # within the limit: the route answers


def _run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus,
         tags: dict[str, str], job_name: str = SUBTITLES_JOB) -> dg.DagsterRun:
    return instance.add_run(dg.DagsterRun(job_name=job_name, run_id=str(uuid.uuid4()),
                                          status=status, tags=tags))


def test_only_waiting_api_media_jobs_count_and_429_comes_before_the_body(api: Api) -> None:
    instance = api.instance()
    waiting, started = dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTED
    media = {API_TAG: "1", KIND_TAG: KIND_PROCESS}
    # Not media jobs from the API: none of these may hold uploads back.
    _run(instance, waiting, {API_TAG: "1", KIND_TAG: KIND_EXPORT, JOB_TAG: "a"})
    for i in range(3):
        _run(instance, waiting, {PARTITION_TAG: f"n{i}"}, NARRATION_JOB)
        _run(instance, waiting, {PARTITION_TAG: f"inbox{i}"})  # inbox batch, reprocessing
    _run(instance, started, {**media, JOB_TAG: "running"})
    for i in range(3):  # media servers' notices (hooks): the run queue paces them
        _run(instance, waiting, {**media, JOB_TAG: f"hook{i}", UNCOUNTED_TAG: "1"})
    runtime = runtime_settings_from_env(api.data_dir, env={})
    service = JobService(runtime, PipelineSettings(), instance, submitter=None)  # type: ignore[arg-type]
    assert service.waiting_count() == 0
    small = declared_upload(api.port, 1 << 20, body=b"", token=TOKEN, wait_s=1.5)
    assert small.status is None  # not refused: the server waits for the body

    runs = [_run(instance, waiting, {**media, JOB_TAG: f"job{i}"}) for i in range(3)]
    assert service.waiting_count() == 3
    before = api.rss_kb()
    reply = declared_upload(api.port, 5 << 20, body=b"", token=TOKEN)
    assert reply.status == 429 and reply.seconds < 1.0, reply.head
    assert b"retry-after: 10" in reply.head.lower()
    # Without the token: 401, which says nothing about the queue.
    assert declared_upload(api.port, 5 << 20, body=b"").status == 401
    assert api.rss_kb() - before < RSS_SLACK_KB

    instance.report_run_canceled(runs[0], "cancelled by the test")
    assert service.waiting_count() == 2
    again = declared_upload(api.port, 1 << 20, body=b"", token=TOKEN, wait_s=1.5)
    assert again.status is None


def test_a_chunked_upload_is_cut_off_at_the_upload_limit() -> None:
    """The middleware alone, over an app that streams an upload to nowhere: an endless
    chunked multipart body is stopped at MAX_UPLOAD_MB (+ overhead) with 413."""
    limits = BodyLimits(upload_bytes=4 << 20, body_bytes=1 << 10)
    consumed = 0

    async def sink(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal consumed
        while True:
            message = await receive()
            consumed += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"stored"})

    pulled = 0

    async def endless() -> Message:
        nonlocal pulled
        pulled += 1 << 16
        return {"type": "http.request", "body": b"\0" * (1 << 16), "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/jobs",
             "headers": [(b"content-type", MULTIPART.encode()),
                         (b"transfer-encoding", b"chunked")]}
    anyio.run(BodyLimitMiddleware(sink, limits), scope, endless, send)
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert consumed <= (4 << 20) + MULTIPART_OVERHEAD < pulled <= consumed + 2 * (1 << 16)
