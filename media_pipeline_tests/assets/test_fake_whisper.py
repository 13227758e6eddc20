"""Asset and sensor paths with the fake Whisper resource: real ffmpeg, VAD, Dagster and
DuckDB, no model, so they run in a second or two. Recognition itself is tested elsewhere."""

import shutil
from pathlib import Path

import dagster as dg

from media_pipeline.automation.inbox import build_inbox_sensor
from media_pipeline.batch import process_paths
from media_pipeline.definitions import build_definitions
from media_pipeline.jobs.instance import open_instance
from media_pipeline.library.edits import EditStore, cues_base, segments_from_cues
from media_pipeline.library.search import search_library
from media_pipeline.partitions import SUBTITLES_JOB
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.store.paths import DataRoot

SAID = "and so my fellow Americans ask not what your country can do for you"


def test_the_fake_recognizer_says_its_transcript_over_the_speech(tmp_path: Path,
                                                                  corpus: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    [result] = process_paths([corpus / "jfk" / "jfk.wav"], runtime, PipelineSettings(),
                             whisper=FakeWhisperResource(transcript=SAID))
    assert result.status == "completed", result.error
    srt = Path(result.outputs["srt"]).read_text(encoding="utf-8")
    assert "fellow Americans" in srt and "-->" in srt
    # a fake never shares artifacts with the real model: its identity is in the fingerprint
    real = StorageResource.at(runtime.data_dir).fingerprints(PipelineSettings(), result.key)
    fake = StorageResource.at(runtime.data_dir, FakeWhisperResource(transcript=SAID))
    assert fake.fingerprints(PipelineSettings(), result.key)["transcript"] != real["transcript"]


def test_search_finds_the_words_of_an_edited_cue(tmp_path: Path, corpus: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    whisper = FakeWhisperResource(transcript=SAID)
    [done] = process_paths([corpus / "jfk" / "jfk.wav"], runtime, PipelineSettings(),
                           whisper=whisper)
    key = done.key or ""
    storage = StorageResource.at(runtime.data_dir, whisper)
    fps = storage.fingerprints(PipelineSettings(), key)
    cues_file = storage.artifacts.find(key, "corrected_cues", fps["corrected_cues"], "cues")
    library = DataRoot.of(runtime).library()
    assert not search_library(library, "fellow Earthlings")
    EditStore(library).edit(key, cues_base(cues_file), segments_from_cues(read_cues(cues_file)),
                            1, text="And so, my fellow Earthlings")
    job = build_definitions(runtime, PipelineSettings(), whisper).resolve_job_def(SUBTITLES_JOB)
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    assert job.execute_in_process(instance=instance, partition_key=key).success
    [hit] = search_library(library, "fellow Earthlings")
    assert hit.key == key and "Earthlings" in hit.text


def test_inbox_files_run_through_every_asset(tmp_path: Path, corpus: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    data = DataRoot.of(runtime)
    data.inbox.mkdir(parents=True)
    for name in ("a.wav", "b.wav"):
        shutil.copy(corpus / "jfk" / "jfk.wav", data.inbox / name)
    shutil.copy(corpus / "jfk" / "jfk.wav", data.inbox / "c.wav")
    storage = StorageResource.at(runtime.data_dir, FakeWhisperResource(transcript=SAID))
    instance = open_instance(data.dagster_home, runtime)
    sensor = build_inbox_sensor(data.inbox, batch_size=8, settle_s=0)
    result = sensor(dg.build_sensor_context(
        instance=instance, resources={"storage": storage, "pipeline": PipelineConfig()}))
    assert isinstance(result, dg.SensorResult)
    [keys] = [r.partition_keys for r in result.dynamic_partitions_requests]
    assert len(keys or []) == 1  # three names, one content: one partition
    instance.add_dynamic_partitions("media", list(keys or []))
    defs = build_definitions(runtime, PipelineSettings(), FakeWhisperResource(transcript=SAID))
    [request] = result.run_requests
    run = defs.resolve_job_def(SUBTITLES_JOB).execute_in_process(
        instance=instance, tags=request.tags)
    assert run.success
    [row] = data.library().rows()
    assert row.status == "completed" and len(data.library().names(row.key)) == 3
