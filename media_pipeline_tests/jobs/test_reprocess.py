"""Stale partitions after a model or setting change, relaunched in bounded batches."""

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.automation.reprocess import (
    REPROCESS_TAG,
    build_reprocess_schedule,
    stale_entries,
    stale_keys,
)
from media_pipeline.batch import Batch, process_paths, reprocess_stale
from media_pipeline.cli.main import main
from media_pipeline.jobs.instance import open_instance
from media_pipeline.library.db import Library
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME, RANGE_END, RANGE_START
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot

KEYS = [f"{i:016x}" for i in range(50)]


@dg.op
def noop() -> None:
    pass


@dg.job
def placeholder() -> None:
    noop()


def library_of_50(runtime: RuntimeSettings, settings: PipelineSettings) -> dg.DagsterInstance:
    """50 partitions whose library rows were made with ``settings`` (no pipeline run)."""
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, KEYS)
    fps = StorageResource.at(runtime.data_dir).fingerprints(settings)
    srt = runtime.data_dir / "x.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n")
    library = Library(DataRoot.of(runtime).library_path)
    for key in KEYS:
        library.save_entry(key, duration_s=1.0, language="en", model=settings.model,
                           fingerprint=fps["library_entry"], outputs={"srt": str(srt)},
                           cues=[(0, 1000, "hi")], word_count=1)
    return instance


def test_50_partitions_go_stale_after_a_model_or_setting_change(tmp_path: Path) -> None:
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    before = PipelineSettings()
    library_of_50(runtime, before)
    storage = StorageResource.at(runtime.data_dir)
    library = Library(DataRoot.of(runtime).library_path)
    assert stale_entries(library, storage.fingerprints(before)["library_entry"]) == []

    profile = replace(before, profile="bbc")
    assert len(stale_entries(library, storage.fingerprints(profile)["library_entry"])) == 50

    model_dir = tmp_path / "my-model"  # another local CTranslate2 model
    model_dir.mkdir()
    (model_dir / "model.bin").write_bytes(b"\0" * 1024)
    model = replace(before, model=str(model_dir))
    old, new = storage.fingerprints(before), storage.fingerprints(model)
    assert old["speech_regions"] == new["speech_regions"]  # nothing upstream is redone
    assert old["transcript"] != new["transcript"]
    assert len(stale_entries(library, new["library_entry"])) == 50


def test_the_schedule_never_queues_more_than_its_bound(tmp_path: Path) -> None:
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    instance = library_of_50(runtime, PipelineSettings())
    changed = replace(PipelineSettings(), profile="bbc")
    schedule = build_reprocess_schedule("0 3 * * *", batch_size=10, max_queued=2)
    resources = {"storage": StorageResource.at(runtime.data_dir),
                 "pipeline": PipelineConfig.from_settings(changed)}

    def tick() -> list[dg.RunRequest]:
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            result = schedule(context)
        return [] if isinstance(result, dg.SkipReason) else list(result)  # type: ignore[arg-type]

    first = tick()
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in first] == [
        (KEYS[0], KEYS[9]), (KEYS[10], KEYS[19])]
    assert all(r.tags[REPROCESS_TAG] == "1" for r in first)
    runs = [instance.create_run_for_job(placeholder, tags=r.tags) for r in first]  # waiting
    assert tick() == []  # the queue holds its bound: nothing more

    # The first batch ran (its rows now carry the new fingerprint); the second still waits.
    fps = resources["storage"].fingerprints(changed)  # type: ignore[attr-defined]
    library = Library(DataRoot.of(runtime).library_path)
    for key in KEYS[:10]:
        library.save_entry(key, duration_s=1.0, language="en", model="tiny.en",
                           fingerprint=fps["library_entry"], outputs={"srt": str(
                               runtime.data_dir / "x.srt")}, cues=[], word_count=0)
    instance.delete_run(runs[0].run_id)
    third = tick()
    assert [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in third] == [(KEYS[20], KEYS[29])]


def test_songs_with_foreign_lyrics_are_judged_and_relaunched_with_their_model(
        tmp_path: Path) -> None:
    from media_pipeline.store.lyrics import store_lyrics

    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    defaults = PipelineSettings()
    instance = library_of_50(runtime, defaults)
    song = KEYS[7]
    store_lyrics(runtime.data_dir, song, "La luna brilla sobre el mar\ny canta la noche\n")
    storage = StorageResource.at(runtime.data_dir)
    assert stale_keys(storage, defaults) == [song]  # its row was made with tiny.en
    Library(DataRoot.of(runtime).library_path).save_entry(
        song, duration_s=1.0, language="es", model="base", fingerprint=storage.fingerprints(
            replace(defaults, model="base"), song)["library_entry"],
        outputs={"srt": str(runtime.data_dir / "x.srt")}, cues=[], word_count=0)
    assert stale_keys(storage, defaults) == []  # made with the model it should have: fresh

    schedule = build_reprocess_schedule("0 3 * * *", batch_size=50, max_queued=5)
    resources = {"storage": storage,
                 "pipeline": PipelineConfig.from_settings(replace(defaults, profile="bbc"))}
    with dg.build_schedule_context(instance=instance, resources=resources) as context:
        requests = list(schedule(context))  # type: ignore[arg-type]
    ranges = [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in requests]
    assert ranges == [(KEYS[0], KEYS[6]), (song, song), (KEYS[8], KEYS[49])]
    config = requests[1].run_config["resources"]["pipeline"]["config"]
    assert (config["model"], config["profile"]) == ("base", "bbc")
    assert "resources" not in requests[0].run_config and "resources" not in requests[2].run_config


@pytest.mark.slow
def test_reprocess_redoes_only_what_the_change_touches(
        tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    clips = tmp_path / "clips"
    clips.mkdir()
    for i in range(3):  # three short speech clips: pieces of jfk.wav
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-ss",
                        str(i * 3.5), "-t", "3.5", "-i", str(corpus / "jfk" / "jfk.wav"),
                        str(clips / f"jfk{i}.wav")], check=True)
    first = process_paths([clips], runtime, PipelineSettings())
    assert {r.status for r in first} == {"completed"}

    changed = replace(PipelineSettings(), profile="bbc")
    result = reprocess_stale(Batch(runtime), changed, limit=2)
    assert (result.stale, len(result.completed), result.failed) == (3, 2, [])
    rest = reprocess_stale(Batch(runtime), changed)
    assert (rest.stale, len(rest.completed), rest.runs) == (1, 1, 1)
    assert reprocess_stale(Batch(runtime), changed).stale == 0

    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    key = first[0].key
    # The transcript was made once and its step left out of the reprocess run altogether;
    # cues and subtitles were made again.
    for asset, made in (("transcript", 1), ("cues", 2), ("subtitles", 2)):
        records = instance.fetch_materializations(dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=10).records
        assert len(records) == made, asset
        materialization = records[0].asset_materialization
        assert materialization is not None
        assert materialization.metadata["cached"].value is False, asset

    # The CLI sees the library from the default profile's side: all three are stale again.
    assert main(["reprocess", "--stale", "--dry-run", "--json", "--data-dir",
                 str(runtime.data_dir)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["stale"] == 3 and summary["completed"] == []
