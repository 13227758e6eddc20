"""Run history is lineage: it is kept, and bounded only by an explicit retention in days.

``MAX_FINISHED_JOBS`` bounds what the API server holds in memory, never the instance. With
``MEDIA_PIPELINE_RUN_RETENTION_DAYS`` set, a daily sensor deletes finished runs older than
that, except a run that made some partition's latest materialization (the Dagster UI then
still shows every file as materialized, with the run that made it).
"""

import time

import dagster as dg

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED]
DAY_S = 86_400.0


def holds_latest_materialization(instance: dg.DagsterInstance, run_id: str) -> bool:
    """True if a materialization of ``run_id`` is still its asset partition's newest."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000).records
    checked: set[tuple[str, str | None]] = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        key = event.asset_key if event is not None else None
        if key is None:
            continue
        partition = event.partition if event is not None else None
        if (key.to_user_string(), partition) in checked:
            continue
        checked.add((key.to_user_string(), partition))
        latest = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key,
                                  asset_partitions=[partition] if partition else None),
            limit=1).records
        if latest and latest[0].run_id == run_id:
            return True
    return False


def delete_expired_runs(instance: dg.DagsterInstance, retention_days: float,
                        now: float | None = None) -> list[str]:
    """Delete finished runs older than ``retention_days`` (0: none) that hold no partition's
    latest materialization; returns their ids. Artifacts and library rows are untouched."""
    if retention_days <= 0:
        return []
    cutoff = (time.time() if now is None else now) - retention_days * DAY_S
    doomed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=FINISHED)):
        ended = record.end_time or record.create_timestamp.timestamp()
        if ended < cutoff and not holds_latest_materialization(
                instance, record.dagster_run.run_id):
            doomed.append(record.dagster_run.run_id)
    for run_id in doomed:
        instance.delete_run(run_id)
    return doomed


def build_retention_sensor(retention_days: float, interval_s: int = 3600,
                           ) -> dg.SensorDefinition:
    @dg.sensor(name="run_retention", minimum_interval_seconds=interval_s,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def run_retention(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        """Deletes finished runs past MEDIA_PIPELINE_RUN_RETENTION_DAYS (0: keeps all),
        never one that made a partition's latest materialization."""
        if retention_days <= 0:
            return dg.SkipReason("run history is kept (MEDIA_PIPELINE_RUN_RETENTION_DAYS=0)")
        deleted = delete_expired_runs(context.instance, retention_days)
        return dg.SkipReason(f"deleted {len(deleted)} runs older than {retention_days:g} days")

    return run_retention
