"""The loop every subtitle asset shares: one run may carry many partitions.

For each partition key: skip when an artifact with the same fingerprint already exists
(no decode, no model), otherwise compute it, seal it, and attach per-partition metadata.
"""

import contextlib
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.assets import progress
from media_pipeline.errors import MediaPipelineError
from media_pipeline.partitions import media_partitions
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.queues import queue_tags
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.store.artifacts import ArtifactStore
from media_pipeline.store.fingerprints import ASSETS

Compute = Callable[[str, Path, dict[str, str]], tuple[dict[str, str], dict[str, Any]]]
Describe = Callable[[str, dict[str, Any], Path], dict[str, Any]]
Ahead = Callable[[list[tuple[str, dict[str, str]]]], dict[str, float]]
"""Work done before the loop for the partitions about to be computed, (key, fingerprints)
each (the transcript decodes short files together): seconds spent per key."""

# Single-run backfills are how one run carries many partitions (one model load); Dagster
# marks the parameter beta, which is known and accepted here.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`")


def subtitle_asset(name: str, **kwargs: Any) -> Any:
    """``@dg.asset`` for subtitle asset ``name``: code version and deps from the asset table;
    its kinds pick its Celery queue (``resources/queues.py``) when runs use workers."""
    facts = ASSETS[name]
    return dg.asset(name=name, code_version=facts.code_version,
                    deps=[dg.AssetKey(u) for u in facts.upstream],
                    partitions_def=media_partitions,
                    backfill_policy=dg.BackfillPolicy.single_run(),
                    op_tags=queue_tags(kwargs.get("kinds")),
                    group_name="subtitles", **kwargs)


def materialize_partitions(
    context: dg.AssetExecutionContext, asset: str, pipeline: PipelineConfig,
    storage: StorageResource, compute: Compute, describe: Describe | None = None,
    always: bool = False, edit_aware: bool = False, ahead: Ahead | None = None,
    lanes: int = 1,
) -> dg.MaterializeResult:
    """Run ``compute(key, out_dir, fingerprints)`` for each partition that needs it, after
    ``ahead`` (when given) has seen them all; ``lanes`` partitions at once (threads: for
    computes that spend their time outside Python, in a model or ffmpeg).

    ``always`` recomputes even when sealed (for cheap steps whose effect lives outside the
    artifact, such as the library row). ``edit_aware`` redoes an artifact made before the
    user's latest segment edit: edits change ``edited_cues``' content, not its fingerprint.
    """
    settings = pipeline.settings()
    with partitions_listed_once(context.instance):
        computed = _each_partition(context, asset, storage, settings, compute, describe,
                                   always, edit_aware, ahead, lanes)
        count = len(context.partition_keys)
    return dg.MaterializeResult(metadata={"partitions": count, "computed": computed,
                                          "cached": count - computed})


@contextlib.contextmanager
def partitions_listed_once(instance: dg.DagsterInstance) -> Iterator[None]:
    """List the dynamic partitions once for the block instead of once per call.

    Dagster checks every ``add_asset_metadata(partition_key=...)`` against the run's range by
    listing every media partition from SQLite, or asking for the range's ends one query
    each (10-15 ms a call, growing with the library): 1.5 s of a 22 s run over 8 files, 7 s
    over 40 short ones. No partition is added or removed during one asset's loop, so one
    listing serves them all. Within a block already listing once, this one adds nothing.
    """
    if "get_dynamic_partitions" in vars(instance):
        yield
        return
    listed: dict[str, Sequence[str]] = {}
    original = instance.get_dynamic_partitions

    def cached(partitions_def_name: str) -> Sequence[str]:
        if partitions_def_name not in listed:
            listed[partitions_def_name] = original(partitions_def_name)
        return listed[partitions_def_name]

    def has(partitions_def_name: str, partition_key: str) -> bool:
        return partition_key in cached(partitions_def_name)

    instance.get_dynamic_partitions = cached  # type: ignore[method-assign]
    instance.has_dynamic_partition = has  # type: ignore[method-assign]
    try:
        yield
    finally:
        del instance.get_dynamic_partitions
        del instance.has_dynamic_partition


PLANNED_SUBSET_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@contextlib.contextmanager
def one_planned_event_per_asset(enabled: bool = True) -> Iterator[None]:
    """Runs created in the block announce each asset's planned partitions in one event
    rather than one event per partition (Dagster's own switch, read at run creation).

    One SQLite write per event: 128 planned events for a run over 8 files, 640 over 40. With
    the switch Dagster does not mark the partitions of a *failed* run as failed, so only runs
    over several files use it: a batch that fails is run again one file per run without it,
    and the file that fails is marked where Dagster's UI shows it.
    """
    before = os.environ.get(PLANNED_SUBSET_ENV)
    if enabled:
        os.environ[PLANNED_SUBSET_ENV] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PLANNED_SUBSET_ENV, None)
        else:
            os.environ[PLANNED_SUBSET_ENV] = before


def _each_partition(context: dg.AssetExecutionContext, asset: str, storage: StorageResource,
                    settings: PipelineSettings, compute: Compute, describe: Describe | None,
                    always: bool, edit_aware: bool, ahead: Ahead | None, lanes: int) -> int:
    """The loop of :func:`materialize_partitions`; how many partitions it computed."""
    store = storage.artifacts
    planned: list[tuple[str, dict[str, str], int, dict[str, Any] | None]] = []
    for key in context.partition_keys:
        fps = storage.fingerprints(settings, key)
        version = 0
        if edit_aware:
            version = edit_version(store, key, "edited_cues", fps["edited_cues"]) or 0
            unseal_if_not(store, key, asset, fps[asset], version)
        planned.append((key, fps, version, store.manifest(key, asset, fps[asset])))
    todo = [(key, fps) for key, fps, _, sealed in planned if always or sealed is None]
    spent: dict[str, float] = {}
    if ahead is not None:
        spent = ahead(todo)
    computed = 0
    with ComputeLanes(compute, store, asset, todo, lanes) as results:
        for key, fps, version, manifest in planned:
            started = time.perf_counter()
            was_cached = manifest is not None and not always
            if manifest is None or always:
                files, info, seconds = _outcome(storage, key, results)
                manifest = storage.artifacts.commit(
                    key, asset, fps[asset], files,
                    {**info, **({"edit_version": version} if edit_aware else {})})
                computed += 1
            else:
                seconds = time.perf_counter() - started
            metadata = {"fingerprint": fps[asset], "cached": was_cached,
                        "seconds": round(seconds + spent.get(key, 0.0), 3),
                        **_flat(manifest["info"])}
            if describe is not None:
                out_dir = store.directory(key, asset, fps[asset])
                metadata.update(describe(key, manifest, out_dir))
            context.add_asset_metadata(metadata, partition_key=key)
            progress.report(asset, key, metadata["seconds"], was_cached)
    return computed


_Outcome = tuple[dict[str, str], dict[str, Any], float]


class ComputeLanes:
    """``compute`` of the partitions to do, ``lanes`` at a time on threads, handed out in
    order by :meth:`get` (with one lane, each is computed when asked for, in this thread).
    A user-facing error stays the caller's to report; partitions not started are dropped."""

    def __init__(self, compute: Compute, store: ArtifactStore, asset: str,
                 todo: list[tuple[str, dict[str, str]]], lanes: int) -> None:
        self.compute, self.store, self.asset = compute, store, asset
        self.todo = {key: fps for key, fps in todo}
        self.order = [key for key, _ in todo]
        self.lanes = max(1, min(lanes, len(todo)))
        self.pool = ThreadPoolExecutor(self.lanes, f"{asset}-lane") if self.lanes > 1 else None
        self.running: dict[str, Future[_Outcome]] = {}

    def __enter__(self) -> "ComputeLanes":
        self._refill()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def get(self, key: str) -> _Outcome:
        """``(files, info, seconds)`` of ``key``: raises what its compute raised."""
        if self.pool is None:
            return self._one(key)
        future = self.running.pop(key, None)
        if future is None:  # asked out of order: start it now, and only once
            if key in self.order:
                self.order.remove(key)
            future = self.pool.submit(self._one, key)
        self._refill()
        return future.result()

    def _refill(self) -> None:
        while self.pool is not None and self.order and len(self.running) < self.lanes:
            key = self.order.pop(0)
            self.running[key] = self.pool.submit(self._one, key)

    def _one(self, key: str) -> _Outcome:
        fps = self.todo[key]
        started = time.perf_counter()
        files, info = self.compute(key, self.store.directory(key, self.asset, fps[self.asset]),
                                   fps)
        return files, info, time.perf_counter() - started


def _outcome(storage: StorageResource, key: str, results: ComputeLanes) -> _Outcome:
    """``key``'s computed files, info and seconds; a user-facing error fails the file in the
    library and the step with the file's key."""
    try:
        return results.get(key)
    except MediaPipelineError as exc:
        storage.library().set_status(key, "failed", exc.user_message)
        raise dg.Failure(description=f"{key}: {exc.user_message}",
                         metadata={"key": key, "error": exc.user_message}) from exc


def edit_version(store: ArtifactStore, key: str, asset: str, fingerprint: str) -> int | None:
    """The edit version a sealed artifact was made from (None when not sealed)."""
    manifest = store.manifest(key, asset, fingerprint)
    return None if manifest is None else int(manifest["info"].get("edit_version", 0))


def unseal_if_not(store: ArtifactStore, key: str, asset: str, fingerprint: str,
                  version: int) -> None:
    """Remove the manifest of an artifact made from another edit version (it is redone)."""
    sealed = edit_version(store, key, asset, fingerprint)
    if sealed is not None and sealed != version:
        store.unseal(key, asset, fingerprint)


def _flat(info: dict[str, Any]) -> dict[str, Any]:
    """Metadata values Dagster can show: scalars as they are, the rest as JSON."""
    out: dict[str, Any] = {}
    for k, v in info.items():
        if isinstance(v, bool | int | float | str) or v is None:
            out[k] = v if v is not None else "—"
        else:
            out[k] = dg.MetadataValue.json(v)
    return out
