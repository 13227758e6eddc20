"""Which subtitle assets a run over some media must execute (the rest is sealed already)."""

import dagster as dg

from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.store.fingerprints import ASSETS


def needed_assets(storage: StorageResource, settings: PipelineSettings,
                  keys: list[str]) -> list[dg.AssetKey] | None:
    """The subtitle assets a run over ``keys`` must execute; None for all of them.

    The steps before ``cues`` whose artifacts every key already has are left out, so a late
    setting (the profile, the dictionary) runs no decode, detection or recognition step at
    all: cached steps cost nothing to compute but still a Dagster materialization event per
    file each. From ``cues`` on, every step runs (edits and library rows are decided there).
    """
    before_cues = upstream_closure("cues")
    fingerprints = [storage.fingerprints(settings, k) for k in keys]
    sealed: set[str] = set()
    for name, facts in ASSETS.items():
        if (name in before_cues and all(u in sealed for u in facts.upstream)
                and all(storage.artifacts.manifest(k, name, fp[name]) is not None
                        for k, fp in zip(keys, fingerprints, strict=True))):
            sealed.add(name)
    # The probe always runs: planning seals it before any run, so the run is what records
    # its materialization (streams, tracks) in Dagster; it is a cached read.
    left_out = sealed - {"source_media"}
    if not left_out:
        return None
    return [dg.AssetKey(name) for name in ASSETS if name not in left_out]


def upstream_closure(asset: str) -> set[str]:
    """Every asset ``asset`` reads from, directly or not."""
    out: set[str] = set()
    todo = list(ASSETS[asset].upstream)
    while todo:
        name = todo.pop()
        if name not in out:
            out.add(name)
            todo.extend(ASSETS[name].upstream)
    return out
