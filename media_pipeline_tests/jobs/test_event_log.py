"""The instance's SQLite event log keeps its connections: same events, same files, fewer
engines; another process (the stock storage, as Dagster's own tools open it) reads them."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from media_pipeline.definitions import EVENT_BATCH_ENV
from media_pipeline.jobs.event_log import KEPT_SHARDS, PooledSqliteEventLogStorage
from media_pipeline.jobs.instance import open_instance
from media_pipeline.settings import RuntimeSettings


@dg.op
def _say(context: dg.OpExecutionContext) -> int:
    context.log.info("hello from the op")
    return 1


@dg.job
def _one_op() -> None:
    _say()


def test_runs_write_through_the_pooled_storage_and_others_read_them(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    instance = open_instance(home, RuntimeSettings(data_dir=tmp_path))
    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    runs = [_one_op.execute_in_process(instance=instance).run_id
            for _ in range(KEPT_SHARDS + 2)]
    kept = [s for s in storage._engines if s != "index"]
    assert len(kept) == KEPT_SHARDS and runs[0] not in kept and runs[-1] in kept
    logs = [r for r in instance.all_logs(runs[0]) if "hello from the op" in r.user_message]
    assert len(logs) == 1  # a shard whose pool was closed is opened again to read
    # The stock storage (what `dagster` commands would use on a hand-made yaml) reads them.
    script = (
        "import sys\n"
        "from dagster._core.storage.event_log.sqlite.sqlite_event_log import "
        "SqliteEventLogStorage\n"
        "s = SqliteEventLogStorage(sys.argv[1])\n"
        "print(sum('hello from the op' in e.user_message for r in sys.argv[2:] "
        "for e in s.get_logs_for_run(r)))\n")
    out = subprocess.run([sys.executable, "-c", script, str(home / "history" / "runs"), *runs],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(len(runs))
    instance.dispose()
    assert not storage._engines


def test_wipe_leaves_no_connection_to_a_deleted_file(tmp_path: Path) -> None:
    instance = open_instance(tmp_path / "h", RuntimeSettings(data_dir=tmp_path))
    run_id = _one_op.execute_in_process(instance=instance).run_id
    instance.event_log_storage.wipe()
    assert not list(instance.all_logs(run_id))
    again = _one_op.execute_in_process(instance=instance).run_id
    assert any("hello from the op" in r.user_message for r in instance.all_logs(again))
    instance.dispose()


_PARTS = dg.StaticPartitionsDefinition(["a", "b", "c", "d"])


@dg.asset(partitions_def=_PARTS, backfill_policy=dg.BackfillPolicy.single_run())
def _ranged(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for key in context.partition_keys:
        context.add_asset_metadata({"seen": key}, partition_key=key)
    return dg.MaterializeResult()


def test_a_ranges_asset_events_go_in_one_batch_and_all_arrive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EVENT_BATCH_ENV, "1000")
    instance = open_instance(tmp_path / "h", RuntimeSettings(data_dir=tmp_path))
    batches: list[int] = []
    real = PooledSqliteEventLogStorage.store_event_batch

    def spied(self: PooledSqliteEventLogStorage, events: Any) -> None:
        batches.append(len(events))
        real(self, events)
    monkeypatch.setattr(PooledSqliteEventLogStorage, "store_event_batch", spied)
    job = dg.Definitions(assets=[_ranged]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, tags={
        "dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "d"})
    assert result.success
    assert batches and max(batches) == 4  # planned and materialized: four partitions each
    got = instance.fetch_materializations(dg.AssetKey("_ranged"), limit=10).records
    seen = sorted(str(r.asset_materialization.metadata["seen"].value) for r in got
                  if r.asset_materialization is not None)
    assert seen == ["a", "b", "c", "d"]
    status = instance.get_materialized_partitions(dg.AssetKey("_ranged"))
    assert status == {"a", "b", "c", "d"}
    instance.dispose()
