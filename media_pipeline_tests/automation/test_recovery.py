"""Dead runs found by their owner's lock (real kill -9), slots freed, pending files repaired."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline.automation.recovery import (
    DIED_TAG,
    OWNER_TAG,
    RunOwner,
    owner_alive,
    reap_dead_runs,
)
from media_pipeline.automation.repair import build_repair_sensor
from media_pipeline.definitions import build_definitions
from media_pipeline.jobs.instance import open_instance
from media_pipeline.partitions import (
    MEDIA_PARTITIONS_NAME,
    PARTITION_TAG,
    SUBTITLES_JOB,
    range_tags,
)
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.store.intake import store_file
from media_pipeline.store.paths import DataRoot

SAID = "and so my fellow Americans ask not what your country can do for you"

# A process that owns an in-process run holding a `media` pool slot, then hangs in its step.
HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import dagster as dg
    from media_pipeline.automation.recovery import RunOwner
    from media_pipeline.jobs.instance import open_instance
    from media_pipeline.settings import runtime_settings_from_env
    from media_pipeline.store.paths import DataRoot

    @dg.op(pool="media")
    def hang() -> None:
        print("in the step", flush=True)
        time.sleep(600)

    @dg.job(executor_def=dg.in_process_executor)
    def held() -> None:
        hang()

    runtime = runtime_settings_from_env(sys.argv[1], env={})
    data = DataRoot.of(runtime)
    instance = open_instance(data.dagster_home, runtime)
    with RunOwner(data.locks_dir) as owner:
        held.execute_in_process(instance=instance, tags=owner.tags)
""")


def test_a_run_whose_process_was_killed_fails_and_frees_its_pool_slot(tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    data = DataRoot.of(runtime)
    instance = open_instance(data.dagster_home, runtime)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(runtime.data_dir)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and "in the step" in holder.stdout.readline()
        [run] = instance.get_runs()
        assert owner_alive(data.locks_dir, run.tags[OWNER_TAG])
        assert reap_dead_runs(instance, data.locks_dir) == []  # alive: left alone
        storage = instance.event_log_storage
        assert [s.run_id for s in storage.get_concurrency_info("media").claimed_slots] == \
            [run.run_id]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()

    assert not owner_alive(data.locks_dir, run.tags[OWNER_TAG])
    assert reap_dead_runs(instance, data.locks_dir) == [run.run_id]
    after = instance.get_run_by_id(run.run_id)
    assert after is not None and after.status == dg.DagsterRunStatus.FAILURE
    assert DIED_TAG in after.tags
    assert not storage.get_concurrency_info("media").claimed_slots  # the next one can run


def test_the_owner_lock_is_not_fooled_by_a_reused_pid(tmp_path: Path) -> None:
    """Liveness comes from the lock, not from the pid written in the file for people."""
    with RunOwner(tmp_path) as owner:
        assert owner_alive(tmp_path, owner.id)
    (tmp_path / f"{owner.id}.lock").write_text(f"{os.getpid()}\n")  # a live pid, no lock
    assert not owner_alive(tmp_path, owner.id)
    assert not (tmp_path / f"{owner.id}.lock").exists()


def _sensor_context(instance: dg.DagsterInstance, storage: StorageResource,
                    cursor: str | None = None) -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(instance=instance, cursor=cursor, resources={
        "storage": storage, "pipeline": PipelineConfig()})


def test_a_failed_batch_is_repaired_file_by_file(tmp_path: Path, corpus: Path,
                                                 bad_inputs: dict[str, Path]) -> None:
    """A bad file in a batch sinks it: it fails with its reason, and the repair sensor runs
    the good file left pending alone, so it completes and nothing stays pending."""
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    data = DataRoot.of(runtime)
    whisper = FakeWhisperResource(transcript=SAID)
    storage = StorageResource.at(runtime.data_dir, whisper)
    instance = open_instance(data.dagster_home, runtime)
    good = store_file(corpus / "jfk" / "jfk.wav", data.media_dir)
    bad = store_file(bad_inputs["truncated"], data.media_dir)
    storage.library().register_many([(good, "good.wav", "/x/good.wav"),
                                     (bad, "bad.mp4", "/x/bad.mp4")])
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, [bad, good])
    job = build_definitions(runtime, PipelineSettings(), whisper).resolve_job_def(SUBTITLES_JOB)
    assert not job.execute_in_process(instance=instance, tags=range_tags(bad, good),
                                      raise_on_error=False).success

    sensor = build_repair_sensor(batch_size=8)
    result = sensor(_sensor_context(instance, storage))
    assert isinstance(result, dg.SensorResult)
    assert storage.library().get_many([bad])[bad].status == "failed"
    assert [r.partition_key for r in result.run_requests] == [good]
    for request in result.run_requests:
        job.execute_in_process(instance=instance, partition_key=request.partition_key,
                               raise_on_error=False)
    rows = storage.library().get_many([good, bad])
    assert rows[good].status == "completed"
    assert rows[bad].status == "failed" and rows[bad].error
    again = sensor(_sensor_context(instance, storage, result.cursor))
    assert isinstance(again, dg.SkipReason)


def test_a_file_whose_lone_run_died_twice_is_given_up_with_the_reason(tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    data = DataRoot.of(runtime)
    storage = StorageResource.at(runtime.data_dir, FakeWhisperResource(transcript=SAID))
    instance = open_instance(data.dagster_home, runtime)
    key = "0123456789abcdef"
    storage.library().register(key, "oom.wav", "/x/oom.wav")
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, [key])
    job = build_definitions(runtime, PipelineSettings()).resolve_job_def(SUBTITLES_JOB)
    sensor = build_repair_sensor(batch_size=8)
    for attempt in range(2):
        run = instance.create_run_for_job(job, tags={PARTITION_TAG: key, DIED_TAG: "1"})
        instance.report_run_failed(run, "the process running it died")
        result = sensor(_sensor_context(instance, storage, str(attempt)))
        if attempt == 0:  # died once: retried alone
            assert isinstance(result, dg.SensorResult)
            assert [r.partition_key for r in result.run_requests] == [key]
    row = storage.library().get(key)
    assert row is not None and row.status == "failed"
    assert "died 2 times" in (row.error or "")


@pytest.mark.slow
def test_process_killed_while_holding_the_media_slot_does_not_block_the_next(
        tmp_path: Path, corpus: Path) -> None:
    """kill -9 of `process` at each stage; the next `process` completes with the same SRT."""
    cli = [sys.executable, "-m", "media_pipeline.cli.main", "process", "--json",
           "--no-progress"]
    clip = corpus / "jfk" / "jfk.wav"
    clean = subprocess.run([*cli, str(clip), "--data-dir", str(tmp_path / "clean")],
                           capture_output=True, text=True, timeout=300)
    reference = _srt_of(clean.stdout)
    for stage in ("speech_audio", "speech_regions", "transcript", "subtitles"):
        data = tmp_path / stage
        victim = subprocess.Popen([*cli, str(clip), "--data-dir", str(data)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_stage(data, stage, victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        again = subprocess.run([*cli, str(clip), "--data-dir", str(data)],
                               capture_output=True, text=True, timeout=240)
        assert again.returncode == 0, (stage, again.stdout, again.stderr[-500:])
        assert _srt_of(again.stdout) == reference, stage


def _wait_for_stage(data: Path, stage: str, proc: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any((data / "artifacts").glob(f"*/{stage}-*")):
            return
        time.sleep(0.02)
    raise AssertionError(f"`process` never reached {stage}")


def _srt_of(stdout: str) -> bytes:
    import json

    row = json.loads(next(line for line in stdout.splitlines() if line.startswith("{")))
    assert row["status"] == "completed", row
    return Path(row["outputs"]["srt"]).read_bytes()
