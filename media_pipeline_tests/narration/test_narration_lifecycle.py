"""The seed's lifecycle tests against real Dagster runs on a real (SQLite) instance."""

import json
from pathlib import Path

import dagster as dg

from media_pipeline.jobs.narration import NarrationStatus
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.partitions import NARRATION_PARTITIONS_NAME
from media_pipeline.stages.narration import load_chunks
from media_pipeline.tts.errors import (
    AUTH_FAILED_MESSAGE,
    RATE_LIMITED_MESSAGE,
    UNEXPECTED_MESSAGE,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
)
from media_pipeline.tts.manager import narration_key
from media_pipeline.tts.stitch import decoded_num_samples, mp3_frame_samples
from media_pipeline_tests.narration.conftest import (
    FIVE_SENTENCES,
    GatedProvider,
    UseProvider,
    finished,
    wait_for,
)
from media_pipeline_tests.tts.fakes import MS_PER_CHAR, RATE, FakeProvider

Use = UseProvider


def observations(service: NarrationService, run_id: str) -> list[tuple[int, int]]:
    out = []
    kind = dg.DagsterEventType.ASSET_OBSERVATION
    for entry in service.instance.all_logs(run_id, of_type=kind):
        observation = entry.asset_observation
        assert observation is not None
        assert observation.asset_key == dg.AssetKey("narration_audio")
        meta = observation.metadata
        out.append((int(meta["completed_chunks"].value),  # type: ignore[arg-type]
                    int(meta["total_chunks"].value)))  # type: ignore[arg-type]
    return out


def test_create_process_poll_completed(service: NarrationService, use_provider: Use) -> None:
    provider = use_provider(GatedProvider(gate_at=3))
    job, created = service.create(FIVE_SENTENCES, voice="v1")
    assert created and job.status == NarrationStatus.PENDING and job.error is None
    assert job.id == narration_key(FIVE_SENTENCES, "v1", 1.0, "fake")
    assert provider.reached.wait(30)
    running = service.jobs.get_job_status(job.id)
    assert running.status == NarrationStatus.IN_PROGRESS
    assert (running.completed_chunks, running.total_chunks) == (2, 5)
    assert running.progress == 0.4
    provider.release.set()
    done = wait_for(service, job.id, finished)

    assert done.status == NarrationStatus.COMPLETED, done.error
    assert (done.completed_chunks, done.total_chunks, done.error) == (5, 5, None)
    assert done.completed_at is not None and done.completed_at >= done.created_at
    assert done.run_id is not None
    assert observations(service, done.run_id) == [(i, 5) for i in range(6)]
    mp3 = Path(done.outputs["mp3"])
    assert mp3 == service.store.audio_dir / f"{job.id}.mp3"
    chunks = load_chunks(service.store, job.id)
    assert provider.calls == [c.text for c in chunks]
    expected_samples = sum(len(c.text) for c in chunks) * MS_PER_CHAR * RATE // 1000
    assert abs(decoded_num_samples(mp3) - expected_samples) <= mp3_frame_samples(RATE)

    metadata = service.jobs.get_audio_metadata(job.id)
    words = metadata["timing_data"]["words"]
    assert metadata["timing_data"]["timing_type"] == "word"
    assert [w["text"] for w in words] == FIVE_SENTENCES.split()
    assert [w["offset"] for w in words] == [
        FIVE_SENTENCES.index(w["text"], w["offset"]) for w in words]
    # Chunk 2 starts where chunk 1's audio ends: "A" is the first word of the second chunk.
    first_chunk_ms = len(chunks[0].text) * MS_PER_CHAR
    assert words[5]["text"] == "A" and words[5]["start_ms"] == first_chunk_ms
    srt = Path(done.outputs["srt"]).read_text(encoding="utf-8")
    assert srt.startswith("1\n00:00:00,000 --> ") and "The first sentence is here." in srt
    assert Path(done.outputs["vtt"]).read_text(encoding="utf-8").startswith("WEBVTT")
    keys = service.instance.get_dynamic_partitions(NARRATION_PARTITIONS_NAME)
    assert list(keys) == [job.id]
    for asset in ("narration_chunks", "narration_audio", "narration_timings",
                  "narration_subtitles"):
        event = service.instance.get_latest_materialization_event(dg.AssetKey(asset))
        assert event is not None and event.dagster_event is not None
        assert event.dagster_event.partition == job.id


def test_same_request_twice_is_one_narration_produced_once(
        service: NarrationService, use_provider: Use) -> None:
    provider = use_provider(FakeProvider())
    first = service.narrate(FIVE_SENTENCES, voice="v1")
    calls = len(provider.calls)
    assert first.status == NarrationStatus.COMPLETED and calls == 5
    again, created = service.create("  " + FIVE_SENTENCES + "\n", voice="v1", speed=1.0)
    assert not created and again.id == first.id and again.status == NarrationStatus.COMPLETED
    # Running the partition again (a re-materialization) reuses every sealed output.
    assert service.execute(first.id)
    assert len(provider.calls) == calls
    event = service.instance.get_latest_materialization_event(dg.AssetKey("narration_audio"))
    assert event is not None and event.asset_materialization is not None
    assert event.asset_materialization.metadata["cached"].value is True
    other = service.narrate(FIVE_SENTENCES, voice="v1", speed=1.5)
    assert other.id != first.id and len(provider.calls) == 2 * calls


def test_provider_failure_on_chunk_3_of_5(service: NarrationService, use_provider: Use,
                                          sleeps: list[float]) -> None:
    boom = ProviderError("Speech provider error (HTTP 500): voice engine crashed",
                         provider="fake", status=500)
    provider = use_provider(FakeProvider(fail={3: boom}))
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    assert job.status == NarrationStatus.FAILED
    assert job.error == "Speech provider error (HTTP 500): voice engine crashed"
    assert (job.completed_chunks, job.total_chunks) == (2, 5)
    assert len(provider.calls) == 3 and sleeps == []  # no retry for other provider errors
    assert not service.store.audio_path(job.id).exists() and not job.outputs
    assert service.jobs.is_running(job.id) is False


def test_rate_limit_succeeds_after_two_retries(service: NarrationService, use_provider: Use,
                                               sleeps: list[float]) -> None:
    limited = ProviderRateLimitError(provider="fake")
    provider = use_provider(FakeProvider(fail={1: limited, 2: limited}))
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    assert job.status == NarrationStatus.COMPLETED, job.error
    assert sleeps == [1.0, 2.0]
    assert len(provider.calls) == 5 + 2


def test_rate_limit_retries_exhausted(service: NarrationService, use_provider: Use,
                                      sleeps: list[float]) -> None:
    limited = ProviderRateLimitError(provider="fake")
    provider = use_provider(FakeProvider(fail=dict.fromkeys(range(1, 5), limited)))
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    assert job.status == NarrationStatus.FAILED and job.error == RATE_LIMITED_MESSAGE
    assert sleeps == [1.0, 2.0, 4.0] and len(provider.calls) == 4


def test_auth_error_fails_at_once(service: NarrationService, use_provider: Use,
                                  sleeps: list[float]) -> None:
    provider = use_provider(FakeProvider(fail={1: ProviderAuthError(provider="fake")}))
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    assert (job.status, job.error) == (NarrationStatus.FAILED, AUTH_FAILED_MESSAGE)
    assert len(provider.calls) == 1 and sleeps == []


def test_unexpected_error_is_generic_for_users_and_full_in_the_log(
        service: NarrationService, use_provider: Use) -> None:
    use_provider(FakeProvider(fail={2: RuntimeError("secret internals at /srv/x")}))
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    assert (job.status, job.error) == (NarrationStatus.FAILED, UNEXPECTED_MESSAGE)
    assert job.run_id is not None
    failures = service.instance.all_logs(job.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    assert failures and failures[0].dagster_event is not None
    data = failures[0].dagster_event.step_failure_data
    assert data is not None and data.error is not None
    assert "secret internals" in data.error.to_string()  # the traceback is in the event log


def test_failed_narration_requested_again_runs_again(
        service: NarrationService, use_provider: Use) -> None:
    provider = use_provider(FakeProvider(fail={1: ProviderError("flaky", provider="fake")}))
    failed = service.narrate(FIVE_SENTENCES, voice="v1")
    assert failed.status == NarrationStatus.FAILED
    job, created = service.create(FIVE_SENTENCES, voice="v1")
    assert not created and job.status == NarrationStatus.PENDING and job.error is None
    done = wait_for(service, job.id, finished)
    assert done.status == NarrationStatus.COMPLETED and done.run_id != failed.run_id
    assert len(provider.calls) == 1 + 5


def test_a_narration_whose_audio_was_deleted_is_made_again(
        service: NarrationService, use_provider: Use) -> None:
    provider = use_provider(FakeProvider())
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    service.store.audio_path(job.id).unlink()
    broken = service.jobs.get_job_status(job.id)
    assert broken.status == NarrationStatus.FAILED and "missing" in (broken.error or "")
    again = service.narrate(FIVE_SENTENCES, voice="v1")
    assert again.status == NarrationStatus.COMPLETED and len(provider.calls) == 10
    assert service.store.audio_path(job.id).exists()


def test_progress_file_is_json_the_api_can_read(service: NarrationService,
                                                use_provider: Use) -> None:
    use_provider(FakeProvider())
    job = service.narrate(FIVE_SENTENCES, voice="v1")
    progress = json.loads(service.store.path(job.id, "progress.json").read_text())
    assert progress["run_id"] == job.run_id
    assert (progress["completed_chunks"], progress["total_chunks"]) == (5, 5)


CHILD = """
import sys, threading
from pathlib import Path
from media_pipeline.resources import tts_providers as providers
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.settings import NarrationSettings, RuntimeSettings
from media_pipeline_tests.tts.fakes import FakeProvider

class Stuck(FakeProvider):
    def synthesize(self, text, voice, speed):
        threading.Event().wait()  # never returns: the parent kills this process

providers.register_provider("fake", lambda config: Stuck())
settings = NarrationSettings(provider="fake", round_trip_check=False)
NarrationService(RuntimeSettings(data_dir=Path(sys.argv[1])), settings).narrate(
    "Killed mid narration.", voice="v1")
"""


def test_a_killed_narration_fails_and_frees_its_pool_slot(
        service: NarrationService, use_provider: Use) -> None:
    import os
    import subprocess
    import sys
    import time

    from media_pipeline.jobs.narration import INTERRUPTED_MESSAGE

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen([sys.executable, "-W", "ignore", "-c", CHILD,
                              str(service.runtime.data_dir)], env=env)
    key = narration_key("Killed mid narration.", "v1", 1.0, "fake")
    try:
        deadline = time.monotonic() + 60
        while service.store.read_progress(key) is None:  # it holds the pool slot now
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        child.kill()
        child.wait()
    use_provider(FakeProvider())
    other = service.narrate("Another narration after the crash.", voice="v1")
    assert other.status == NarrationStatus.COMPLETED
    killed = service.jobs.get_job_status(key)
    assert (killed.status, killed.error) == (NarrationStatus.FAILED, INTERRUPTED_MESSAGE)
