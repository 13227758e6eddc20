"""Keep only the newest finished runs in the instance (the seed's MAX_FINISHED_JOBS).

Deleting a run removes it and its event log from the instance; artifacts on disk and the
library rows stay. A sensor applies it every minute wherever the daemon runs, and the API
applies it as soon as one of its runs finishes.
"""

import dagster as dg

FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED]


def prune_finished_runs(instance: dg.DagsterInstance, keep: int) -> list[str]:
    """Delete every finished run but the newest ``keep``; returns the deleted run ids."""
    if keep < 0:
        return []
    records = instance.get_run_records(dg.RunsFilter(statuses=FINISHED))  # newest first
    doomed = [r.dagster_run.run_id for r in records[keep:]]
    for run_id in doomed:
        instance.delete_run(run_id)
    return doomed


def build_prune_sensor(keep: int, interval_s: int = 60) -> dg.SensorDefinition:
    @dg.sensor(name="prune_finished_runs", minimum_interval_seconds=interval_s,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def prune_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        """Deletes finished runs beyond the newest MAX_FINISHED_JOBS (files and library stay)."""
        deleted = prune_finished_runs(context.instance, keep)
        return dg.SkipReason(f"deleted {len(deleted)} finished runs; keeping {keep}")

    return prune_runs
