"""A real `media-pipeline serve` (uvicorn, Dagster daemon, webserver, code server) on loopback."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

TOKEN = "test-token-123"
TERMINAL = ("completed", "failed", "cancelled")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def start(self, timeout_s: float = 150.0) -> "Server":
        self.port = free_port()
        env = {**os.environ, "MEDIA_PIPELINE_API_TOKEN": TOKEN, **self.env}
        exe = Path(sys.executable).parent / "media-pipeline"
        log = (self.data_dir.parent / f"serve-{self.port}.log").open("wb")
        self.proc = subprocess.Popen([str(exe), "serve", "--port", str(self.port),
                                      "--data-dir", str(self.data_dir)], env=env,
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "serve exited early; see serve-*.log"
            try:
                if httpx.get(self.url + "/api/jobs", headers=self.headers).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError("serve did not answer in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=60, **kwargs)

    def upload(self, name: str, data: bytes, **fields: str) -> httpx.Response:
        return self.request("POST", "/api/jobs", files={"file": (name, data)}, data=fields)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.request("GET", f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def wait(self, job_id: str, states: tuple[str, ...] = TERMINAL,
             timeout_s: float = 240.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        job = self.job(job_id)
        while job["state"] not in states:
            assert time.monotonic() < deadline, f"job stuck in {job['state']}"
            time.sleep(0.2)
            job = self.job(job_id)
        return job


class EventReader:
    """Collects the SSE stream of a server in a thread."""

    def __init__(self, server: Server, last_event_id: int | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        headers = dict(server.headers)
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._client = httpx.Client(timeout=None)
        self._response = self._client.send(
            self._client.build_request("GET", server.url + "/api/events", headers=headers),
            stream=True)
        assert self._response.status_code == 200
        assert self._response.headers["content-type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event: dict[str, Any] = {}
        try:
            for line in self._response.iter_lines():
                if line.startswith("id:"):
                    event["id"] = int(line[3:])
                elif line.startswith("event:"):
                    event["type"] = line[6:].strip()
                elif line.startswith("data:"):
                    event["data"] = json.loads(line[5:])
                elif not line and "type" in event:
                    self.events.append(event)
                    event = {}
        except httpx.HTTPError:
            pass

    def wait_for(self, job_id: str, types: tuple[str, ...], timeout_s: float = 240.0
                 ) -> list[dict[str, Any]]:
        """The job's events, once one of ``types`` has arrived."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            mine = [e for e in self.events if e["data"].get("id") == job_id]
            if any(e["type"] in types for e in mine):
                return mine
            time.sleep(0.1)
        raise AssertionError(f"no {types} for {job_id}: {self.events}")

    def close(self) -> None:
        self._response.close()
        self._client.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("serve") / "data").start()
    try:
        yield srv
    finally:
        srv.stop()
