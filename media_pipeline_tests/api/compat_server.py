"""A live HTTP server (uvicorn on loopback, in a thread) of the real app, for the
compatibility APIs' clients (the ``openai`` package, urllib as Bazarr's requests).

Runs are executed at once, in process, by :class:`InlineSubmitter` over a temporary Dagster
instance (real ffmpeg, VAD, Dagster and DuckDB); Whisper is the fake unless a test asks for
the real models. ``hold`` makes the submitter only queue the run (for timeouts).
"""

import dataclasses
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import imageio_ffmpeg
import uvicorn
from fastapi import FastAPI

from media_pipeline.api.app import create_app
from media_pipeline.api.deps import AppState
from media_pipeline.definitions import build_definitions
from media_pipeline.partitions import SUBTITLES_JOB
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import WhisperResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline_tests.api.test_validation import InlineSubmitter

TOKEN = "compat-token"


class HoldingSubmitter(InlineSubmitter):
    """InlineSubmitter that, while ``hold`` is set, only records the run (never started)."""

    hold = False

    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        if not self.hold:
            return super().submit(job_name, tags=tags, run_config=run_config,
                                  asset_selection=asset_selection)
        run = self.instance.create_run_for_job(
            self.job, run_config=dict(run_config or {}), tags=dict(tags),
            status=dg.DagsterRunStatus.NOT_STARTED)
        return str(run.run_id)


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    submitter: HoldingSubmitter
    instance: dg.DagsterInstance

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.media_pipeline
        return state

    @contextmanager
    def sync_timeout(self, seconds: float) -> Iterator[None]:
        """The server waits at most ``seconds`` for a job meanwhile."""
        before = self.state.runtime
        self.state.runtime = dataclasses.replace(before, sync_api_timeout_s=seconds)
        try:
            yield
        finally:
            self.state.runtime = before

    def runs_of(self, job_id: str) -> int:
        return len(self.instance.get_run_records(
            dg.RunsFilter(tags={"media_pipeline/job": job_id})))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(data_dir: Path, whisper: WhisperResource | None,
                settings: PipelineSettings | None = None) -> Iterator[LiveServer]:
    """The app on a free loopback port until the block ends."""
    settings = settings or PipelineSettings(model="tiny.en")
    # One waiting job is the most: a held job (see HoldingSubmitter) makes the server busy.
    runtime = RuntimeSettings(data_dir=data_dir, api_token=TOKEN, max_pending_media_jobs=1)
    job = build_definitions(runtime, settings, whisper=whisper).resolve_job_def(SUBTITLES_JOB)
    with dg.instance_for_test() as instance:
        submitter = HoldingSubmitter(job, instance)
        app = create_app(runtime, settings, submitter=submitter, instance=instance,
                         watch=False)
        if whisper is not None:
            app.state.media_pipeline.jobs.storage = StorageResource.at(data_dir, whisper)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield LiveServer(f"http://127.0.0.1:{port}", app, submitter, instance)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def pcm_of(media: Path) -> bytes:
    """``media`` decoded to raw s16le 16 kHz mono PCM, as Bazarr sends it."""
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i",
                           str(media), "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
                          check=True, capture_output=True).stdout


def partition_of(job_id: str) -> str:
    return job_id.split("-", 1)[0]

