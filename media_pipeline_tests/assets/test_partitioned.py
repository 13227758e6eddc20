"""The per-asset loop's bookkeeping: one listing of the media partitions per step, and one
planned event per asset for runs over many files."""

import os
import threading
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from media_pipeline.assets.partitioned import (
    PLANNED_SUBSET_ENV,
    ComputeLanes,
    one_planned_event_per_asset,
    partitions_listed_once,
)
from media_pipeline.errors import NotMediaError
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME, media_partitions, range_tags


def test_partitions_are_listed_once_inside_the_block_and_live_after_it() -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["a", "b"])
    with partitions_listed_once(instance):
        assert list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)) == ["a", "b"]
        instance._event_storage.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["c"])
        # Answered from the one listing: no query sees "c" inside the block.
        assert instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "b")
        assert not instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "c")
        assert list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)) == ["a", "b"]
    assert instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "c")
    assert list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME)) == ["a", "b", "c"]


def test_a_nested_block_leaves_the_outer_listing_in_place() -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["a"])
    with partitions_listed_once(instance):
        assert instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "a")
        with partitions_listed_once(instance):
            pass
        instance._event_storage.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["b"])
        assert not instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "b")
    assert instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, "b")


@dg.asset(partitions_def=media_partitions, backfill_policy=dg.BackfillPolicy.single_run())
def each(context: dg.AssetExecutionContext) -> None:
    if "bad" in context.partition_keys:
        raise ValueError("bad file")


def planned_events(instance: dg.DagsterInstance, keys: list[str], one_event: bool,
                   ) -> tuple[bool, int]:
    job = dg.Definitions(assets=[each]).resolve_implicit_global_asset_job_def()
    with one_planned_event_per_asset(one_event):
        result = job.execute_in_process(instance=instance, raise_on_error=False,
                                        tags=range_tags(keys[0], keys[-1]))
    planned = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    return result.success, len(planned)


def test_a_run_over_many_files_plans_each_asset_in_one_event() -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, ["a", "b", "c", "bad"])
    assert planned_events(instance, ["a", "c"], one_event=True) == (True, 1)
    assert planned_events(instance, ["a", "c"], one_event=False) == (True, 3)
    assert PLANNED_SUBSET_ENV not in os.environ  # only inside the block
    # A lone file's run plans per partition, so Dagster marks the failed one.
    assert planned_events(instance, ["bad"], one_event=False) == (False, 1)
    assert dg.AssetKey("each") in instance.get_asset_keys()


class Dirs:
    """The one ArtifactStore method ComputeLanes uses."""

    def directory(self, key: str, asset: str, fingerprint: str) -> Path:
        return Path("/nonexistent") / key


def test_lanes_compute_a_few_files_at_once_and_hand_them_out_in_order() -> None:
    running, most, lock = [0], [0], threading.Lock()
    seen: list[str] = []

    def compute(key: str, out: Path, fps: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            seen.append(key)
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        if key == "bad":
            raise NotMediaError(key, "not media")
        return {"f": key}, {"out": str(out)}

    keys = ["a", "b", "bad", "c", "d", "e"]
    todo = [(k, {"x": k}) for k in keys]
    with ComputeLanes(compute, Dirs(), "x", todo, 2) as lanes:  # type: ignore[arg-type]
        assert lanes.get("a")[:2] == ({"f": "a"}, {"out": "/nonexistent/a"})
        assert lanes.get("b")[0] == {"f": "b"}
        with pytest.raises(NotMediaError):
            lanes.get("bad")
    assert most[0] == 2  # two at once, never more
    assert len(seen) == len(set(seen))  # none computed twice
    # Left when "bad" failed: what had started finished, nothing else began.
    assert set(seen) <= {"a", "b", "bad", "c", "d"} and "e" not in seen


def test_one_lane_computes_each_file_when_asked_in_this_thread() -> None:
    threads: list[str] = []

    def compute(key: str, out: Path, fps: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
        threads.append(threading.current_thread().name)
        return {}, {}

    with ComputeLanes(compute, Dirs(), "x", [("a", {"x": "1"}), ("b", {"x": "2"})], 1) as lanes:  # type: ignore[arg-type]
        assert threads == []
        lanes.get("b")
        lanes.get("a")
    assert threads == [threading.current_thread().name] * 2


def test_a_file_asked_for_out_of_order_is_computed_once() -> None:
    seen: list[str] = []

    def compute(key: str, out: Path, fps: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
        seen.append(key)
        return {"f": key}, {}

    todo = [(k, {"x": k}) for k in "abcde"]
    with ComputeLanes(compute, Dirs(), "x", todo, 2) as lanes:  # type: ignore[arg-type]
        assert [lanes.get(k)[0]["f"] for k in "edcba"] == list("edcba")
    assert sorted(seen) == list("abcde")
