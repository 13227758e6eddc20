"""Narrations queued through the API's run submitter get the ``narration`` pool limit too."""

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from media_pipeline.api.deps import AppState
from media_pipeline.api.errors import install_error_handler
from media_pipeline.api.narrations import EXTRAS_KEY, router
from media_pipeline.assets.narration import NARRATION_POOL
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.partitions import NARRATION_JOB, PARTITION_TAG
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.narration.conftest import UseProvider
from media_pipeline_tests.tts.fakes import FakeProvider


class RecordingSubmitter:
    """Takes the run the API would put in the instance's queue; launches nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        self.calls.append((job_name, dict(tags)))
        return f"run-{len(self.calls)}"


@pytest.mark.parametrize("limit", [1, 3])
def test_a_queued_narration_sets_the_pool_limit(runtime: RuntimeSettings, limit: int,
                                                use_provider: UseProvider,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    use_provider(FakeProvider())
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_PROVIDER", "fake")
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_ROUND_TRIP_CHECK", "false")
    monkeypatch.setenv("MEDIA_PIPELINE_NARRATION_POOL_LIMIT", str(limit))
    submitter = RecordingSubmitter()
    app = FastAPI()
    app.include_router(router)
    install_error_handler(app)
    app.state.media_pipeline = AppState(runtime=runtime, settings=PipelineSettings(),
                                        jobs=SimpleNamespace(submitter=submitter),  # type: ignore[arg-type]
                                        events=None)  # type: ignore[arg-type]
    with TestClient(app) as client:
        created = client.post("/api/narrations", json={"text": "Queued, not run here."})
        assert created.status_code == 201, created.text
        service = app.state.media_pipeline.extras[EXTRAS_KEY]
        assert isinstance(service, NarrationService)
        service.close()
    key = created.json()["id"]
    assert submitter.calls == [(NARRATION_JOB, {PARTITION_TAG: key})]
    # The daemon would launch it with the instance's slots: the configured limit, not the
    # instance's default pool limit (MAX_MEDIA_JOBS).
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    storage = instance.event_log_storage
    assert storage.get_concurrency_info(NARRATION_POOL).slot_count == limit
    assert service.jobs.latest_run(key) is None  # nothing ran in this process
