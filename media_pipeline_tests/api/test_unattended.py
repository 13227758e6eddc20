"""A library that runs unattended, against a real `media-pipeline serve` and real signals.

- SIGTERM with 50 open event streams stops the server in under 5 s, and a job that was
  running is not cancelled: the next start queues it again.
- A daemon (then a code server and a webserver) killed with SIGKILL is restarted by the
  supervisor; /api/health follows it, and a job submitted afterwards completes.
- A 3 GiB upload is refused (413) before its body is read; the server's memory does not grow.

The tests of this module share one data root, in file order.
"""

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from media_pipeline.automation.liveness import worker_identity
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.model import JOB_TAG
from media_pipeline.partitions import RESUBMITTED_FROM_TAG
from media_pipeline.settings import runtime_settings_from_env
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.api.conftest import TOKEN, Server
from media_pipeline_tests.api.rawhttp import (
    MULTIPART,
    declared_upload,
    rss_kb,
    stream_chunked,
)
from media_pipeline_tests.api.test_server import cmdline_of, tone_wav

pytestmark = pytest.mark.slow
STREAMS = 50
SHARED: dict[str, Any] = {}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("unattended") / "data").start()
    try:
        yield srv
    finally:
        srv.stop()


def instance_of(server: Server) -> dg.DagsterInstance:
    runtime = runtime_settings_from_env(server.data_dir, env={})
    return open_instance(DataRoot.of(runtime).dagster_home, runtime)


def open_event_stream(server: Server) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(f"GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
              "Accept: text/event-stream\r\n\r\n".encode())
    assert s.recv(4096).startswith(b"HTTP/1.1 200"), "the event stream did not open"
    return s


def log_of(server: Server) -> str:
    return (server.data_dir.parent / f"serve-{server.port}.log").read_text(errors="replace")


def test_sigterm_with_50_streams_is_quick_and_leaves_the_running_job_queued(
        served: Server, corpus: Path) -> None:
    audio = (corpus / "long" / "fairytale-en.ogg").read_bytes()
    job_id = served.upload("fairytale.ogg", audio).json()["id"]
    running = served.wait(job_id, ("preprocessing", "transcribing", "refining", "completed",
                                   "failed"), timeout_s=60)
    assert running["state"] in ("preprocessing", "transcribing"), running
    streams = [open_event_stream(served) for _ in range(STREAMS)]
    assert served.proc is not None
    started = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=10) == 0
    stop_s = time.monotonic() - started
    print(f"serve stopped {stop_s:.2f} s after SIGTERM with {STREAMS} event streams open")
    assert stop_s < 5.0
    time.sleep(0.5)
    left = [p.name for p in Path("/proc").iterdir() if p.name.isdigit()
            and str(served.data_dir) in cmdline_of(p)]
    assert left == []  # code server, run worker, daemon and webserver are gone too
    for s in streams:  # every stream was ended by the server, not left hanging
        s.settimeout(2)
        with contextlib.suppress(OSError):
            while s.recv(65536):
                pass
        s.close()
    served.proc = None
    [run] = instance_of(served).get_runs(dg.RunsFilter(tags={JOB_TAG: job_id}))
    assert run.status == dg.DagsterRunStatus.STARTED  # not cancelled: left for the next start

    served.start()
    job = served.job(job_id)
    assert job["state"] not in ("failed", "cancelled", "completed"), job
    assert job["runs"] == 2 and job["error"] is None
    old, new = (instance_of(served).get_run_by_id(r) for r in (run.run_id, job["run_id"]))
    assert old is not None and old.status == dg.DagsterRunStatus.FAILURE
    assert new is not None and new.tags[RESUBMITTED_FROM_TAG] == run.run_id
    failure = instance_of(served).all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert "server stopped; resubmitted" in (failure[-1].message or "")
    assert "queued again 1 run(s)" in log_of(served)
    # The new run starts; then it is cancelled so that the next test has the queue.
    assert served.wait(job_id, ("preprocessing", "transcribing", "refining", "completed"),
                       timeout_s=60)["state"] != "pending"
    served.request("POST", f"/api/jobs/{job_id}/cancel")
    assert served.wait(job_id, timeout_s=30)["state"] == "cancelled"


def child_pid(server: Server, name: str) -> int:
    """The pid of the serve child whose command line contains ``name``."""
    assert server.proc is not None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if ppid == server.proc.pid and name in cmdline:
                return int(proc.name)
    raise AssertionError(f"no {name} under serve")


def health(server: Server) -> tuple[int, dict[str, Any]]:
    response = server.request("GET", "/api/health")
    return response.status_code, response.json()


def test_a_killed_daemon_is_restarted_and_jobs_still_complete(served: Server) -> None:
    deadline = time.monotonic() + 30
    while health(served)[0] != 200:
        assert time.monotonic() < deadline, health(served)
        time.sleep(0.5)
    code, body = health(served)
    assert body["daemon"] == body["webserver"] == body["code_server"] == "up"
    daemon = child_pid(served, "dagster-daemon")
    os.kill(daemon, signal.SIGKILL)
    killed = time.monotonic()
    seen = set()
    while True:
        code, body = health(served)
        seen.add(body["daemon"])
        if code == 200 and "up" in seen and len(seen) > 1:
            break
        assert time.monotonic() - killed < 60, (code, body, seen)
        time.sleep(0.2)
    print(f"daemon up again {time.monotonic() - killed:.1f} s after kill -9; states {seen}")
    assert seen & {"down", "restarting"}
    assert child_pid(served, "dagster-daemon") != daemon
    assert "the Dagster daemon exited with code -9; restarting" in log_of(served)
    response = served.upload("after.wav", tone_wav(42, seconds=2.0))
    assert response.status_code == 201, response.text
    assert served.wait(response.json()["id"], timeout_s=120)["state"] == "completed"


def test_a_killed_code_server_and_webserver_are_restarted(served: Server) -> None:
    killed = {name: child_pid(served, name) for name in ("dagster api grpc",
                                                          "dagster-webserver")}
    for pid in killed.values():
        os.kill(pid, signal.SIGKILL)
    started = time.monotonic()
    time.sleep(1.0)  # the supervisor polls twice a second
    while health(served)[0] != 200:
        assert time.monotonic() - started < 60, health(served)
        time.sleep(0.2)
    for name, pid in killed.items():
        assert child_pid(served, name) != pid
    log = log_of(served)
    assert "the Dagster code server exited with code -9; restarting" in log
    assert "the Dagster webserver exited with code -9; restarting" in log
    response = served.upload("again.wav", tone_wav(43, seconds=2.0))  # through the webserver
    assert response.status_code == 201, response.text
    assert served.wait(response.json()["id"], timeout_s=120)["state"] == "completed"


def test_a_killed_run_worker_is_retried_as_the_same_job(served: Server, corpus: Path) -> None:
    """kill -9 of the process running a job: run monitoring fails the run, the repair sensor
    runs it again with the job's own tags, and the job completes."""
    import io
    import wave

    with wave.open(str(corpus / "jfk" / "jfk.wav"), "rb") as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as w:  # 44 s: long enough to be caught transcribing
        w.setparams(params)
        w.writeframes(frames * 4)
    job_id = served.upload("jfk-four-times.wav", out.getvalue()).json()["id"]
    job = served.wait(job_id, ("transcribing", "refining", "completed", "failed"),
                      timeout_s=120)
    assert job["state"] == "transcribing", job
    instance = instance_of(served)
    [run] = instance.get_runs(dg.RunsFilter(tags={JOB_TAG: job_id}))
    worker = worker_identity(instance, run.run_id)
    assert worker is not None
    os.kill(worker.pid, signal.SIGKILL)
    done = served.wait(job_id, ("completed", "cancelled"), timeout_s=240)
    assert done["state"] == "completed", done
    died = instance_of(served).get_run_by_id(run.run_id)
    assert died is not None and died.status == dg.DagsterRunStatus.FAILURE
    assert done["runs"] == 2


def test_oversized_uploads_are_refused_before_the_body_and_memory_stays(
        served: Server) -> None:
    assert served.proc is not None
    pid = served.proc.pid
    before = rss_kb(pid)
    reply = declared_upload(served.port, 3 * (1 << 30))  # the acceptance script's request
    assert reply.status == 413 and reply.seconds < 1.0, reply
    streamed = stream_chunked(served.port, 3 * 10**9, MULTIPART, token=TOKEN)
    assert streamed.status in (411, 413), streamed
    as_json = stream_chunked(served.port, 3 * 10**9, "application/json", token=TOKEN)
    assert as_json.status == 413, as_json
    after = rss_kb(pid)
    print(f"serve RSS {before} KiB before, {after} KiB after a 3 GiB declared and two 3 GB "
          f"streamed uploads (sent {streamed.sent >> 20} + {as_json.sent >> 20} MiB)")
    assert after - before < 8 << 10
    ok = httpx.get(served.url + "/api/jobs", headers=served.headers)
    assert ok.status_code == 200  # the server carries on
