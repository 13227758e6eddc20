"""The sidecars asset in Dagster runs: the inbox (settings from the environment) and a
user's edit re-exported. Fake recognizer: recognition is not what is measured."""

import os
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.automation.inbox import build_inbox_sensor
from media_pipeline.definitions import build_definitions
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.service import EXPORT_ASSETS
from media_pipeline.library.edits import EditStore, cues_base, segments_from_cues
from media_pipeline.partitions import SUBTITLES_JOB
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import pipeline_settings_from_env, runtime_settings_from_env
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.store.paths import DataRoot

pytestmark = pytest.mark.slow
SAID = "and so my fellow Americans ask not"


def test_inbox_files_get_sidecars_when_the_environment_asks(tmp_path: Path,
                                                             corpus: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    settings = pipeline_settings_from_env({"MEDIA_PIPELINE_WRITE_BESIDE": "1",
                                           "MEDIA_PIPELINE_SIDECAR_FORMATS": "srt,vtt"})
    data = DataRoot.of(runtime)
    (data.inbox / "Show").mkdir(parents=True)
    clip = data.inbox / "Show" / "ep1.wav"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-t", "3", "-i",
                    str(corpus / "jfk" / "jfk.wav"), str(clip)], check=True)
    whisper = FakeWhisperResource(transcript=SAID)
    storage = StorageResource.at(runtime.data_dir, whisper)
    instance = open_instance(data.dagster_home, runtime)
    sensor = build_inbox_sensor(data.inbox, batch_size=8, settle_s=0)
    result = sensor(dg.build_sensor_context(instance=instance, resources={
        "storage": storage, "pipeline": PipelineConfig.from_settings(settings)}))
    assert isinstance(result, dg.SensorResult)
    [keys] = [r.partition_keys for r in result.dynamic_partitions_requests]
    instance.add_dynamic_partitions("media", list(keys or []))
    defs = build_definitions(runtime, settings, whisper)
    [request] = result.run_requests
    job = defs.resolve_job_def(SUBTITLES_JOB)
    old = os.umask(0o022)
    try:
        assert job.execute_in_process(instance=instance, tags=request.tags,
                                      partition_key=request.partition_key).success
    finally:
        os.umask(old)
    srt = clip.with_name("ep1.en.srt")
    assert "fellow" in srt.read_text() and clip.with_name("ep1.en.vtt").exists()
    assert srt.stat().st_mode & 0o044 == 0o044

    # the user's edit, re-exported, updates the sidecar we wrote
    assert "sidecars" in EXPORT_ASSETS
    key = (keys or [""])[0]
    fps = storage.fingerprints(settings, key)
    cues_file = storage.artifacts.find(key, "corrected_cues", fps["corrected_cues"], "cues")
    EditStore(data.library()).edit(key, cues_base(cues_file),
                                   segments_from_cues(read_cues(cues_file)), 1,
                                   text="And so, my fellow Earthlings")
    assert job.execute_in_process(instance=instance, partition_key=key).success
    assert "Earthlings" in srt.read_text()
