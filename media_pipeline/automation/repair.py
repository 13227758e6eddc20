"""Nothing stays pending without a run behind it: the repair sensor, and why a file waits.

Every tick: in-process runs whose process died are failed and their pool slots freed; then
each pending file with no queued or running run is looked at. A file in a batch that failed
runs again alone (so the failure lands on the file that caused it); a file whose lone run
died is retried once; one whose lone run failed at a step, or died twice, is reported failed
with the reason. A pending file that never had a run (its request was lost) is queued once
it has waited ``NO_RUN_GRACE_S``.
"""

import dagster as dg

from media_pipeline.automation.batching import give_up_reason
from media_pipeline.automation.inbox import run_requests
from media_pipeline.automation.recovery import (
    History,
    histories,
    reap_dead_runs,
    retry_tags,
)
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME, SUBTITLES_JOB
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource

NO_RUN_GRACE_S = 120.0
"""A pending file may be between registration and its run's creation this long."""


def failed_reason(history: History) -> str | None:
    """Why a pending file is failed rather than run again; None to run it (again)."""
    if not history.finished:
        return None
    alone, died, reason = history.finished[0]
    if alone and not died:
        return reason
    return give_up_reason(history)


def retried_as_it_was(history: History) -> dg.DagsterRun | None:
    """The lone run of this file that died, to be run again with its own tags and config
    (an API job's retry stays that job's); None for a file that ran in a batch."""
    run = history.last_failed
    if run is None or not history.finished or not history.finished[0][0]:
        return None
    return run


def waiting_reason(history: History, age_s: float | None) -> str:
    """A line saying why a pending file waits (for ``status``)."""
    if history.active is not None:
        state = "running" if history.active_status in ("STARTED", "STARTING") else "queued"
        return f"{state} in run {history.active[:8]}"
    if history.finished:
        return f"its last run failed ({history.finished[0][2]}); the repair sensor runs it again"
    if age_s is not None and age_s < NO_RUN_GRACE_S:
        return "registered; its run is being created"
    return "no run yet; the repair sensor queues it"


def build_repair_sensor(batch_size: int, interval_s: int = 30) -> dg.SensorDefinition:
    @dg.sensor(name="repair_pending", job_name=SUBTITLES_JOB, minimum_interval_seconds=interval_s,
               default_status=dg.DefaultSensorStatus.RUNNING)
    def repair_pending(context: dg.SensorEvaluationContext, storage: StorageResource,
                       pipeline: PipelineConfig) -> dg.SensorResult | dg.SkipReason:
        """Pending files with no run behind them: run again alone, or reported failed."""
        reaped = reap_dead_runs(context.instance, storage.data.locks_dir)
        library = storage.library()
        ages = library.pending_ages()
        order = list(context.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
        known = set(order)
        past = histories(context.instance, [k for k in ages if k in known], order)
        rerun: list[str] = []
        for key, history in past.items():
            if history.active is not None:
                continue
            reason = failed_reason(history)
            if reason is not None:
                library.set_status(key, "failed", reason)
            elif history.finished or ages[key] >= NO_RUN_GRACE_S:
                rerun.append(key)
        if not rerun:
            return dg.SkipReason(f"nothing to repair ({len(reaped)} dead runs failed)")
        # a run key per tick: each repair of a file is a new run, never deduplicated away
        tick = int(context.cursor or 0) + 1
        again = {k: run for k in rerun if (run := retried_as_it_was(past[k])) is not None}
        requests = [dg.RunRequest(run_key=f"repair{tick}:{key}", partition_key=key,
                                  tags=retry_tags(run), run_config=run.run_config)
                    for key, run in again.items()]
        requests += run_requests(context, storage, pipeline.settings(),
                                 [k for k in rerun if k not in again], order, batch_size,
                                 prefix=f"repair{tick}")
        return dg.SensorResult(run_requests=requests, cursor=str(tick))

    return repair_pending


def waiting_reasons(instance: dg.DagsterInstance, ages: dict[str, float]) -> dict[str, str]:
    """Why each pending file (``ages``: seconds since its row changed) is still waiting."""
    order = list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
    known = set(order)
    past = histories(instance, [k for k in ages if k in known], order)
    return {key: waiting_reason(past[key], age) if key in past
            else "registered; not yet a partition (the inbox sensor adds it)"
            for key, age in ages.items()}
