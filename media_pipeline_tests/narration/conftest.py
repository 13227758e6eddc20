"""Fixtures for narration tests: a data root, a service on it, providers registered per test."""

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

from media_pipeline.jobs.narration import NarrationJob, NarrationStatus
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.resources import tts_providers as providers
from media_pipeline.settings import NarrationSettings, RuntimeSettings
from media_pipeline.tts.providers.base import SynthesisResult
from media_pipeline_tests.tts.fakes import FakeProvider

# Five sentences of under 40 characters each: five chunks with FakeProvider's limit.
FIVE_SENTENCES = (
    "The first sentence is here. A second one follows it. "
    "Then comes the third. The fourth is short. And the fifth ends it."
)


P = TypeVar("P", bound=FakeProvider)


class UseProvider(Protocol):
    """Registers a provider object as ``fake`` and hands it back."""

    def __call__(self, provider: P) -> P: ...


class RegisterProvider(Protocol):
    """Registers a provider object under a name and hands it back."""

    def __call__(self, name: str, provider: P) -> P: ...


class GatedProvider(FakeProvider):
    """A FakeProvider that stops before call ``gate_at`` until ``release`` is set."""

    def __init__(self, gate_at: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.gate_at = gate_at
        self.reached = threading.Event()
        self.release = threading.Event()

    def synthesize(self, text: str, voice: str, speed: float) -> SynthesisResult:
        if len(self.calls) + 1 == self.gate_at:
            self.reached.set()
            assert self.release.wait(180), "the test never released the provider"
        return super().synthesize(text, voice, speed)


@pytest.fixture
def use_provider() -> Iterator[UseProvider]:
    """Register ``provider`` as ``fake`` for this test (every run gets this same object)."""
    def register(provider: P) -> P:
        providers.register_provider("fake", lambda config: provider)
        return provider

    yield register
    providers.unregister_provider("fake")


@pytest.fixture
def register() -> Iterator[RegisterProvider]:
    """Register ``provider`` under ``name`` for this test."""
    names: list[str] = []

    def add(name: str, provider: P) -> P:
        providers.register_provider(name, lambda config: provider)
        names.append(name)
        return provider

    yield add
    for name in names:
        providers.unregister_provider(name)


@pytest.fixture
def sleeps() -> Iterator[list[float]]:
    """Backoff sleeps recorded instead of slept."""
    recorded: list[float] = []
    previous = providers.set_sleep(recorded.append)
    yield recorded
    providers.set_sleep(previous)


@pytest.fixture
def runtime(tmp_path: Path) -> RuntimeSettings:
    return RuntimeSettings(data_dir=tmp_path / "data")


@pytest.fixture
def service(runtime: RuntimeSettings) -> Iterator[NarrationService]:
    svc = NarrationService(runtime, NarrationSettings(provider="fake", round_trip_check=False))
    yield svc
    svc.close()


def wait_for(service: NarrationService, key: str, done: Callable[[NarrationJob], bool],
              timeout_s: float = 60.0) -> NarrationJob:
    """Poll the job until ``done(job)``; fails the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = service.jobs.get_job_status(key)
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job stuck at {job.to_json()}"
        time.sleep(0.05)


def finished(job: NarrationJob) -> bool:
    return job.status in (NarrationStatus.COMPLETED, NarrationStatus.FAILED)
