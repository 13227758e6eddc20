import shutil
from pathlib import Path

import dagster as dg

from media_pipeline.automation.inbox import build_inbox_sensor
from media_pipeline.definitions import build_definitions
from media_pipeline.partitions import RANGE_END, RANGE_START
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings


def resources(storage: StorageResource) -> dict[str, object]:
    return {"storage": storage, "pipeline": PipelineConfig()}


def test_inbox_files_become_partitions_and_one_run_per_batch(
        tmp_path: Path, corpus: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for clip in sorted((corpus / "librispeech").glob("*.flac")):
        shutil.copy(clip, inbox / clip.name)
    shutil.copy(inbox / "61-70968-0000.flac", inbox / "duplicate.flac")  # same bytes
    storage = StorageResource.at(tmp_path / "data")
    sensor = build_inbox_sensor(inbox, batch_size=2, settle_s=0)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources(storage))
        result = sensor(context)
        assert isinstance(result, dg.SensorResult)
        added = result.dynamic_partitions_requests[0]
        assert isinstance(added, dg.AddDynamicPartitionsRequest)
        assert len(added.partition_keys) == 3  # three distinct contents, four files
        ranges = [(r.tags[RANGE_START], r.tags[RANGE_END]) for r in result.run_requests]
        assert ranges == [(added.partition_keys[0], added.partition_keys[1]),
                          (added.partition_keys[2], added.partition_keys[2])]
        assert len({r.run_key for r in result.run_requests}) == 2
        instance.add_dynamic_partitions("media", list(added.partition_keys))

        again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                               resources=resources(storage)))
        assert not isinstance(again, dg.SensorResult) or not again.run_requests  # never twice


def test_definitions_load_with_every_stage() -> None:
    defs = build_definitions(RuntimeSettings(data_dir=Path("/tmp/unused")), PipelineSettings())
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"source_media", "vocals", "speech_audio", "speech_regions", "transcript", "cues",
            "corrected_cues", "subtitles", "library_entry"} <= keys
    assert defs.resolve_job_def("subtitles_job") is not None
    assert defs.resolve_sensor_def("inbox_sensor") is not None


def test_a_missing_inbox_is_created_not_an_error(tmp_path: Path) -> None:
    inbox = tmp_path / "not-yet"
    sensor = build_inbox_sensor(inbox, batch_size=8, settle_s=0)
    with dg.instance_for_test() as instance:
        result = sensor(dg.build_sensor_context(
            instance=instance, resources=resources(StorageResource.at(tmp_path))))
    assert isinstance(result, dg.SensorResult) and not result.run_requests
    assert inbox.is_dir()


def test_lyrics_sidecars_in_the_inbox_are_kept_for_their_song(
        tmp_path: Path, corpus: Path) -> None:
    from media_pipeline.store.intake import media_key_of_file
    from media_pipeline.store.lyrics import stored_lyrics

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    song = inbox / "song.flac"
    shutil.copy(corpus / "librispeech" / "61-70968-0000.flac", song)
    (inbox / "song.lyrics.txt").write_text("He began a confused complaint\n", encoding="utf-8")
    storage = StorageResource.at(tmp_path / "data")
    with dg.instance_for_test() as instance:
        result = build_inbox_sensor(inbox, 8, 0)(
            dg.build_sensor_context(instance=instance, resources=resources(storage)))
    assert isinstance(result, dg.SensorResult) and len(result.run_requests) == 1
    key = media_key_of_file(song)
    assert stored_lyrics(tmp_path / "data", key) == "He began a confused complaint\n"


def test_a_song_with_lyrics_in_another_language_runs_with_the_multilingual_model(
        tmp_path: Path, corpus: Path) -> None:
    from media_pipeline.store.intake import media_key_of_file

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(corpus / "fleurs" / "fleurs-es-000.ogg", inbox / "cancion.ogg")
    (inbox / "cancion.lyrics.txt").write_text(
        (corpus / "fleurs" / "fleurs-es-000.txt").read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(corpus / "librispeech" / "61-70968-0000.flac", inbox / "song.flac")
    (inbox / "song.lyrics.txt").write_text("He began a confused complaint\n", encoding="utf-8")
    storage = StorageResource.at(tmp_path / "data")
    with dg.instance_for_test() as instance:
        result = build_inbox_sensor(inbox, 8, 0)(
            dg.build_sensor_context(instance=instance, resources=resources(storage)))
    assert isinstance(result, dg.SensorResult)
    config = {r.tags[RANGE_START]: r.run_config for r in result.run_requests}
    spanish = config[media_key_of_file(inbox / "cancion.ogg")]
    assert spanish["resources"]["pipeline"]["config"]["model"] == "base"
    assert "resources" not in config[media_key_of_file(inbox / "song.flac")]  # the defaults


def test_bad_files_run_alone_and_files_still_being_written_wait(
        tmp_path: Path, corpus: Path) -> None:
    """One batching path: not-media gets a run of its own; a file written to within the
    settling time is not taken yet, and is taken once it has settled."""
    import os
    import time

    from media_pipeline.store.intake import media_key_of_file

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    old = time.time() - 60
    for clip in sorted((corpus / "librispeech").glob("*.flac"))[:2]:
        shutil.copy(clip, inbox / clip.name)
        os.utime(inbox / clip.name, (old, old))
    (inbox / "bad.mp3").write_text("this is not audio\n")
    os.utime(inbox / "bad.mp3", (old, old))
    copying = inbox / "copying.wav"
    shutil.copy(corpus / "jfk" / "jfk.wav", copying)  # written just now
    storage = StorageResource.at(tmp_path / "data")
    sensor = build_inbox_sensor(inbox, batch_size=8, settle_s=30)
    with dg.instance_for_test() as instance:
        result = sensor(dg.build_sensor_context(instance=instance, resources=resources(storage)))
        assert isinstance(result, dg.SensorResult)
        added = result.dynamic_partitions_requests[0]
        assert isinstance(added, dg.AddDynamicPartitionsRequest)
        bad_key = media_key_of_file(inbox / "bad.mp3")
        assert media_key_of_file(copying) not in added.partition_keys
        alone = [r for r in result.run_requests if r.partition_key is not None]
        assert [r.partition_key for r in alone] == [bad_key]
        batches = [r for r in result.run_requests if r.partition_key is None]
        assert len(batches) == 1 and bad_key not in (batches[0].tags[RANGE_START],
                                                     batches[0].tags[RANGE_END])
        instance.add_dynamic_partitions("media", list(added.partition_keys))

        os.utime(copying, (old, old))  # the copy has finished and settled
        again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor,
                                               resources=resources(storage)))
        assert isinstance(again, dg.SensorResult)
        assert [r.tags[RANGE_START] for r in again.run_requests] == [media_key_of_file(copying)]
