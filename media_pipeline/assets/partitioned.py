"""The loop every subtitle asset shares: one run may carry many partitions.

For each partition key: skip when an artifact with the same fingerprint already exists
(no decode, no model), otherwise compute it, seal it, and attach per-partition metadata.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import progress
from media_pipeline.errors import MediaPipelineError
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.storage import MANIFEST, ArtifactStore

Compute = Callable[[str, Path, dict[str, str]], tuple[dict[str, str], dict[str, Any]]]


def materialize_partitions(
    context: dg.AssetExecutionContext, asset: str, pipeline: PipelineConfig,
    storage: StorageResource, compute: Compute,
    describe: Callable[[str, dict[str, Any], Path], dict[str, Any]] | None = None,
    always: bool = False,
    edit_aware: bool = False,
) -> dg.MaterializeResult:
    """Run ``compute(key, out_dir, fingerprints)`` for each partition that needs it.

    ``always`` recomputes even when sealed (for cheap steps whose effect lives outside the
    artifact, such as the library row). ``edit_aware`` redoes an artifact made before the
    user's latest segment edit: edits change ``edited_cues``' content, not its fingerprint.
    """
    settings = pipeline.settings()
    store = storage.artifacts
    computed = cached = 0
    for key in context.partition_keys:
        fps = storage.fingerprints(settings, key)
        version = 0
        if edit_aware:
            version = edit_version(store, key, "edited_cues", fps["edited_cues"]) or 0
            unseal_if_not(store, key, asset, fps[asset], version)
        out_dir = store.directory(key, asset, fps[asset])
        manifest = store.manifest(key, asset, fps[asset])
        started = time.perf_counter()
        was_cached = manifest is not None and not always
        if manifest is None or always:
            try:
                files, info = compute(key, out_dir, fps)
            except MediaPipelineError as exc:
                storage.library().set_status(key, "failed", exc.user_message)
                raise dg.Failure(description=f"{key}: {exc.user_message}",
                                 metadata={"key": key, "error": exc.user_message}) from exc
            if edit_aware:
                info = {**info, "edit_version": version}
            manifest = store.commit(key, asset, fps[asset], files, info)
            computed += 1
        else:
            cached += 1
        metadata = {"fingerprint": fps[asset], "cached": was_cached,
                    "seconds": round(time.perf_counter() - started, 3), **_flat(manifest["info"])}
        if describe is not None:
            metadata.update(describe(key, manifest, out_dir))
        context.add_asset_metadata(metadata, partition_key=key)
        progress.report(asset, key, metadata["seconds"], was_cached)
    return dg.MaterializeResult(metadata={"partitions": len(context.partition_keys),
                                          "computed": computed, "cached": cached})


def edit_version(store: ArtifactStore, key: str, asset: str, fingerprint: str) -> int | None:
    """The edit version a sealed artifact was made from (None when not sealed)."""
    manifest = store.manifest(key, asset, fingerprint)
    return None if manifest is None else int(manifest["info"].get("edit_version", 0))


def unseal_if_not(store: ArtifactStore, key: str, asset: str, fingerprint: str,
                  version: int) -> None:
    """Remove the manifest of an artifact made from another edit version (it is redone)."""
    sealed = edit_version(store, key, asset, fingerprint)
    if sealed is not None and sealed != version:
        (store.directory(key, asset, fingerprint) / MANIFEST).unlink(missing_ok=True)


def upstream_file(storage: StorageResource, settings: PipelineSettings, fps: dict[str, str],
                  key: str, asset: str, name: str) -> Path:
    """Path of file ``name`` of upstream ``asset`` for ``key``; fails clearly if missing."""
    store = storage.artifacts
    manifest = store.manifest(key, asset, fps[asset])
    if manifest is None:
        raise dg.Failure(description=f"{key}: upstream {asset} is missing; materialize it first")
    return store.file(key, asset, fps[asset], manifest["files"][name])


def _flat(info: dict[str, Any]) -> dict[str, Any]:
    """Metadata values Dagster can show: scalars as they are, the rest as JSON."""
    out: dict[str, Any] = {}
    for k, v in info.items():
        if isinstance(v, bool | int | float | str) or v is None:
            out[k] = v if v is not None else "—"
        else:
            out[k] = dg.MetadataValue.json(v)
    return out
