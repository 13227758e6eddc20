"""The inbox sensor: new files become partitions (in batches) and one run per batch."""

import json
from pathlib import Path

import dagster as dg

from media_pipeline.music import media_settings, read_lyrics_file, sidecar_lyrics, store_lyrics
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME
from media_pipeline.registration import contiguous_ranges, list_media_files, register_file
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource, run_config_for
from media_pipeline.settings import PipelineSettings

SUBTITLES_JOB = "subtitles_job"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run materialize partitions ``first``..``last``."""
    return {RANGE_START: first, RANGE_END: last}


def build_inbox_sensor(inbox: Path, batch_size: int) -> dg.SensorDefinition:
    @dg.sensor(name="inbox_sensor", job_name=SUBTITLES_JOB, minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: StorageResource,
                     pipeline: PipelineConfig) -> dg.SensorResult | dg.SkipReason:
        """Files dropped in the inbox: registered by content hash, processed once."""
        inbox.mkdir(parents=True, exist_ok=True)  # a fresh data root has none yet
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        library = storage.library()
        new_keys: list[str] = []
        for path in list_media_files([inbox]):
            stamp = f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
            if seen.get(str(path)) == stamp:
                continue
            seen[str(path)] = stamp
            key = register_file(path, storage.media_dir, library)
            lyrics = sidecar_lyrics(path) if key is not None else None
            if key is not None and lyrics is not None:  # <name>.lyrics.txt: a song
                store_lyrics(storage.root, key, read_lyrics_file(lyrics))
            if key is not None and not context.instance.has_dynamic_partition(
                    MEDIA_PARTITIONS_NAME, key) and key not in new_keys:
                new_keys.append(key)
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
