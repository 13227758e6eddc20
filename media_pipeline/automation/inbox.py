"""The inbox sensor: new files become partitions (in batches) and one run per batch."""

import json
from pathlib import Path

import dagster as dg

from media_pipeline.partitions import (
    MEDIA_PARTITIONS_NAME,
    SUBTITLES_JOB,
    contiguous_ranges,
    range_tags,
)
from media_pipeline.resources.config import PipelineConfig, run_config_for
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.music import media_settings
from media_pipeline.store.intake import list_media_files, register_file
from media_pipeline.store.lyrics import read_lyrics_file, sidecar_lyrics, store_lyrics


def register_new(context: dg.SensorEvaluationContext, storage: StorageResource, inbox: Path,
                 seen: dict[str, str]) -> list[str]:
    """Keys of inbox files not seen before (stored, named in the library; lyrics kept)."""
    library = storage.library()
    new_keys: list[str] = []
    for path in list_media_files([inbox]):
        stamp = f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
        if seen.get(str(path)) == stamp:
            continue
        seen[str(path)] = stamp
        key = register_file(path, storage.data.media_dir, library)
        if key is None:
            continue
        lyrics = sidecar_lyrics(path)
        if lyrics is not None:  # <name>.lyrics.txt: a song
            store_lyrics(storage.root, key, read_lyrics_file(lyrics))
        if not context.instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, key) \
                and key not in new_keys:
            new_keys.append(key)
    return new_keys


def build_inbox_sensor(inbox: Path, batch_size: int) -> dg.SensorDefinition:
    @dg.sensor(name="inbox_sensor", job_name=SUBTITLES_JOB, minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: StorageResource,
                     pipeline: PipelineConfig) -> dg.SensorResult | dg.SkipReason:
        """Files dropped in the inbox: registered by content hash, processed once."""
        inbox.mkdir(parents=True, exist_ok=True)  # a fresh data root has none yet
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        new_keys = register_new(context, storage, inbox, seen)
        if not new_keys:
            return dg.SkipReason(f"no new files in {inbox}")
        order = [*context.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME), *new_keys]
        settings = pipeline.settings()
        groups: dict[PipelineSettings, set[str]] = {}
        for key in new_keys:  # a song with non-English lyrics runs with another model
            groups.setdefault(media_settings(storage.root, settings, key), set()).add(key)
        requests = [
            dg.RunRequest(run_key=f"inbox:{first}..{last}", tags=range_tags(first, last),
                          run_config=None if chosen == settings else run_config_for(chosen))
            for chosen, keys in groups.items()
            for first, last in contiguous_ranges(order, keys, batch_size)
        ]
        return dg.SensorResult(
            run_requests=requests, cursor=json.dumps(seen),
            dynamic_partitions_requests=[
                dg.AddDynamicPartitionsRequest(MEDIA_PARTITIONS_NAME, new_keys)],
        )

    return inbox_sensor
