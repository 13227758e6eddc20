"""End to end against a real (SQLite) Dagster instance in a temp data root."""

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pysubs2
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.batch import process_paths
from media_pipeline.jobs.instance import open_instance
from media_pipeline.library.db import Library
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.conftest import make_tone_file, wer

pytestmark = pytest.mark.slow
ASSETS = ["source_media", "vocals", "speech_audio", "speech_regions", "transcript", "cues",
          "corrected_cues", "subtitles", "library_entry"]


def latest_cached(instance: dg.DagsterInstance, asset: str, key: str) -> bool:
    """Whether the newest materialization of ``asset`` for ``key`` reused its artifact."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1)
    materialization = records.records[0].asset_materialization
    assert materialization is not None
    return bool(materialization.metadata["cached"].value)


@pytest.fixture()
def runtime(tmp_path: Path) -> RuntimeSettings:
    return RuntimeSettings(data_dir=tmp_path / "data")


def test_batch_with_bad_files_fails_only_those(
        runtime: RuntimeSettings, corpus: Path, bad_inputs: dict[str, Path]) -> None:
    clip = corpus / "librispeech" / "2412-153948-0000.flac"
    results = process_paths([clip, corpus / "jfk" / "jfk.wav", *bad_inputs.values()],
                            runtime, PipelineSettings())
    by_name = {Path(r.source).name: r for r in results}
    assert by_name[clip.name].status == "completed"
    assert by_name["jfk.wav"].status == "completed"
    srt = by_name[clip.name].outputs["srt"]
    assert wer(clip.with_suffix(".txt").read_text(), Path(srt).read_text()) <= 0.12
    expected = {"text.mp3": "not a media file", "empty.wav": "empty",
                "truncated.mp4": "", "video_only.mp4": "no audio stream"}
    for name, phrase in expected.items():
        r = by_name[name]
        assert r.status == "failed", name
        assert r.error and "\n" not in r.error and len(r.error) < 200, (name, r.error)
        assert phrase in r.error, (name, r.error)
    instance = open_instance(DataRoot.of(runtime).dagster_home)
    failed_runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert len(failed_runs) == len(expected)  # each bad file failed its own run
    # The two good files ran in one run, their speech decoded in shared batches.
    shared = instance.fetch_materializations(dg.AssetRecordsFilter(
        asset_key=dg.AssetKey("transcript"), asset_partitions=[by_name["jfk.wav"].key or ""]),
        limit=1).records[0].asset_materialization
    assert shared is not None and shared.metadata["decoded_with_files"].value == 2
    for fmt in ("srt", "vtt", "ass"):
        assert pysubs2.load(by_name["jfk.wav"].outputs[fmt]).events
    for fmt in ("srt", "vtt", "ass", "lrc"):
        out = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i",
                              by_name["jfk.wav"].outputs[fmt], "-f", "srt", "-"],
                             capture_output=True, text=True)
        assert out.returncode == 0 and " --> " in out.stdout, fmt


def test_rerun_is_free_and_a_setting_change_recomputes_only_downstream(
        runtime: RuntimeSettings, corpus: Path, tmp_path: Path) -> None:
    clip = tmp_path / "speech.flac"
    shutil.copy(corpus / "librispeech" / "61-70968-0000.flac", clip)
    first = process_paths([clip], runtime, PipelineSettings())[0]
    instance = open_instance(DataRoot.of(runtime).dagster_home)
    runs_after_first = len(instance.get_runs())
    key = first.key
    assert first.status == "completed" and key
    assert not latest_cached(instance, "transcript", key)

    again = process_paths([clip], runtime, PipelineSettings())[0]
    assert again.to_json()["outputs"] == first.to_json()["outputs"]
    assert again.key == key
    assert len(instance.get_runs()) == runs_after_first  # nothing to do: no run at all

    # Re-materializing the partition in Dagster does no decode, VAD or model work either.
    from media_pipeline.definitions import build_definitions
    from media_pipeline.partitions import SUBTITLES_JOB

    job = build_definitions(runtime, PipelineSettings()).resolve_job_def(SUBTITLES_JOB)
    assert job.execute_in_process(instance=instance, partition_key=key).success
    for asset in ASSETS[:-1]:
        assert latest_cached(instance, asset, key), asset

    changed = replace(PipelineSettings(), vad_aggressiveness=1)
    assert process_paths([clip], runtime, changed)[0].status == "completed"
    for asset in ("source_media", "vocals", "speech_audio"):
        assert latest_cached(instance, asset, key), asset  # upstream untouched
    for asset in ("speech_regions", "transcript", "cues", "subtitles"):
        assert not latest_cached(instance, asset, key), asset  # recomputed


def test_same_bytes_under_two_names_are_one_partition(
        runtime: RuntimeSettings, corpus: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.wav", tmp_path / "copy of a.wav"
    shutil.copy(corpus / "librispeech" / "1272-128104-0000.wav", a)
    shutil.copy(a, b)
    results = process_paths([a, b], runtime, PipelineSettings())
    assert results[0].key == results[1].key
    assert all(r.status == "completed" for r in results)
    instance = open_instance(DataRoot.of(runtime).dagster_home)
    assert instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME) == [results[0].key]
    names = Library(DataRoot.of(runtime).library_path).names(results[0].key)
    assert sorted(n for n, _ in names) == ["a.wav", "copy of a.wav"]


def test_silence_and_noise_give_no_cues(runtime: RuntimeSettings, tmp_path: Path) -> None:
    files = [make_tone_file(tmp_path / f"{k}.wav", 30, k) for k in ("silence", "noise")]
    for r in process_paths(files, runtime, PipelineSettings()):
        assert r.status == "completed", r.error
        assert Path(r.outputs["srt"]).read_text() == ""
        row = Library(DataRoot.of(runtime).library_path).get(r.key or "")
        assert row is not None and row.cue_count == 0


def test_one_files_lyrics_and_dictionary_leave_other_files_alone(tmp_path: Path) -> None:
    from media_pipeline.library.dictionary import DictionaryStore
    from media_pipeline.resources.storage import StorageResource
    from media_pipeline.store.lyrics import store_lyrics
    from media_pipeline.text.cleanup import DictionaryEntry

    storage = StorageResource.at(tmp_path)
    settings = PipelineSettings()
    a, b = "a" * 16, "b" * 16
    before_a, before_b = storage.fingerprints(settings, a), storage.fingerprints(settings, b)
    assert before_a == before_b == storage.fingerprints(settings)
    store_lyrics(tmp_path, a, "la la la\nla la")
    DictionaryStore(storage.library()).add(DictionaryEntry("colour", "color", scope=a))
    after_a, after_b = storage.fingerprints(settings, a), storage.fingerprints(settings, b)
    assert after_b == before_b  # b is untouched: no rerun, no stale row
    assert after_a["cues"] != before_a["cues"] and after_a["transcript"] == before_a["transcript"]
    DictionaryStore(storage.library()).add(DictionaryEntry("grey", "gray", scope="library"))
    assert storage.fingerprints(settings, b)["cues"] != before_b["cues"]  # library-wide: all
    # A cleanup revert is an input of that media's cues only.
    from media_pipeline.library.cleanup_reverts import CleanupRevertStore

    now_a, now_b = storage.fingerprints(settings, a), storage.fingerprints(settings, b)
    CleanupRevertStore(storage.library()).add(b, ["0123abcd"])
    assert storage.fingerprints(settings, a) == now_a
    reverted_b = storage.fingerprints(settings, b)
    assert reverted_b["cues"] != now_b["cues"] and reverted_b["subtitles"] != now_b["subtitles"]
    assert reverted_b["transcript"] == now_b["transcript"]


def test_a_segment_edit_redoes_exports_and_reports_but_not_the_transcript(
        runtime: RuntimeSettings, corpus: Path) -> None:
    from media_pipeline.definitions import build_definitions
    from media_pipeline.library.edits import EditStore, cues_base, segments_from_cues
    from media_pipeline.partitions import SUBTITLES_JOB
    from media_pipeline.resources.storage import StorageResource
    from media_pipeline.stages.cues_file import read_cues, read_json

    done = process_paths([corpus / "jfk" / "jfk.wav"], runtime, PipelineSettings())[0]
    key = done.key or ""
    storage = StorageResource.at(runtime.data_dir)
    fps = storage.fingerprints(PipelineSettings(), key)
    cues_file = storage.artifacts.find(key, "corrected_cues", fps["corrected_cues"], "cues")
    original = segments_from_cues(read_cues(cues_file))
    EditStore(Library(DataRoot.of(runtime).library_path)).edit(
        key, cues_base(cues_file), original, 1, text="And so, my fellow Earthlings")

    instance = open_instance(DataRoot.of(runtime).dagster_home)
    job = build_definitions(runtime, PipelineSettings()).resolve_job_def(SUBTITLES_JOB)
    assert job.execute_in_process(instance=instance, partition_key=key).success
    assert "Earthlings" in Path(done.outputs["srt"]).read_text()
    for asset in ("edited_cues", "subtitles", "confidence_report", "waveform"):
        assert not latest_cached(instance, asset, key), asset  # follows the edit
    for asset in ("transcript", "cues", "corrected_cues"):
        assert latest_cached(instance, asset, key), asset
    report = storage.artifacts.manifest(key, "confidence_report", fps["confidence_report"])
    assert report is not None and report["info"]["edit_version"] == 1
    wave = storage.artifacts.manifest(key, "waveform", fps["waveform"])
    assert wave is not None and wave["info"]["edit_version"] == 1
    assert read_json(storage.artifacts.find(key, "waveform", fps["waveform"], "peaks"))
