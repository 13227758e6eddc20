"""The inbox sensor: complete new files become partitions and runs (the one batching path).

A file is taken once nothing has written to it for the settling time and it did not change
while it was hashed, so a copy in progress is never stored half-done. Each tick takes what
it can within a time budget (Dagster gives a sensor about a minute); the rest waits for the
next tick.
"""

import json
import time
from pathlib import Path

import dagster as dg

from media_pipeline.automation.batching import plan_runs
from media_pipeline.errors import FileChangedError, MediaPipelineError
from media_pipeline.library.sidecars import SidecarStore
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME, SUBTITLES_JOB, range_tags
from media_pipeline.resources.config import PipelineConfig, quiet_run_config
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.music import media_settings
from media_pipeline.store.intake import list_media_files, register_file, settled
from media_pipeline.store.lyrics import read_lyrics_file, sidecar_lyrics, store_lyrics

TICK_BUDGET_S = 25.0
"""Seconds of hashing and probing per tick, well inside Dagster's sensor timeout."""


def register_new(storage: StorageResource, inbox: Path, seen: dict[str, str], settle_s: float,
                 budget_s: float = TICK_BUDGET_S) -> list[str]:
    """Keys of complete inbox files not seen before (stored, named in the library; lyrics
    kept). A file that cannot be read is recorded failed under its name's own row."""
    library = storage.library()
    deadline = time.monotonic() + budget_s
    new_keys: list[str] = []
    for path in list_media_files([inbox]):
        if time.monotonic() > deadline:
            break
        try:
            stamp = f"{path.stat().st_size}:{path.stat().st_mtime_ns}"
            if seen.get(str(path)) == stamp or not settled(path, settle_s):
                continue
            key = register_file(path, storage.data.media_dir, library)
            SidecarStore(library).record_roots({str(path.resolve()): str(inbox.resolve())})
        except FileChangedError:
            continue  # still being written: the next tick looks again
        except (OSError, MediaPipelineError):
            continue  # vanished or unreadable: nothing to store (it is retried if it changes)
        seen[str(path)] = stamp
        lyrics = sidecar_lyrics(path)
        if lyrics is not None:  # <name>.lyrics.txt: a song
            store_lyrics(storage.root, key, read_lyrics_file(lyrics))
        if key not in new_keys:
            new_keys.append(key)
    return new_keys


def run_requests(context: dg.SensorEvaluationContext, storage: StorageResource,
                 settings: PipelineSettings, keys: list[str], order: list[str], batch_size: int,
                 prefix: str) -> list[dg.RunRequest]:
    """Runs for ``keys`` the one batching way; files given up are recorded failed."""
    groups: dict[PipelineSettings, list[str]] = {}
    for key in keys:  # a song with non-English lyrics runs with another model
        groups.setdefault(media_settings(storage.root, settings, key), []).append(key)
    library = storage.library()
    requests: list[dg.RunRequest] = []
    for chosen, group in groups.items():
        plan = plan_runs(storage, chosen, context.instance, group, order, batch_size,
                         seal=False)
        for key, reason in plan.given_up.items():
            library.set_status(key, "failed", reason)
        config = quiet_run_config(None if chosen == settings else chosen)
        requests += [dg.RunRequest(run_key=f"{prefix}:{key}", partition_key=key,
                                   run_config=config) for key in plan.alone]
        requests += [dg.RunRequest(run_key=f"{prefix}:{first}..{last}",
                                   tags=range_tags(first, last), run_config=config)
                     for first, last in plan.batches]
    return requests


def build_inbox_sensor(inbox: Path, batch_size: int, settle_s: float) -> dg.SensorDefinition:
    @dg.sensor(name="inbox_sensor", job_name=SUBTITLES_JOB, minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: StorageResource,
                     pipeline: PipelineConfig) -> dg.SensorResult | dg.SkipReason:
        """Files dropped in the inbox: registered by content hash once complete, probed, bad
        ones run alone (failing their own partition), good ones in batches."""
        inbox.mkdir(parents=True, exist_ok=True)  # a fresh data root has none yet
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        registered = register_new(storage, inbox, seen, settle_s)
        known = set(context.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
        new_keys = [k for k in registered if k not in known]
        if not new_keys:
            return dg.SensorResult(skip_reason=f"no new complete files in {inbox}",
                                   cursor=json.dumps(seen))
        order = [*context.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME), *new_keys]
        requests = run_requests(context, storage, pipeline.settings(), new_keys, order,
                                batch_size, "inbox")
        return dg.SensorResult(
            run_requests=requests, cursor=json.dumps(seen),
            dynamic_partitions_requests=[
                dg.AddDynamicPartitionsRequest(MEDIA_PARTITIONS_NAME, new_keys)],
        )

    return inbox_sensor
