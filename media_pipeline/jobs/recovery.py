"""Runs left behind by a `serve` that stopped: queued again on the next start.

`serve` stops its code server with SIGKILL, and the run workers with it (`dagster api grpc`
ignores signals), so a run in progress at a stop (SIGTERM, Ctrl-C, a crash, a power cut)
stays STARTING or STARTED with a dead worker. Stopping the server is not a user's cancel, so
such a run is neither reported cancelled nor left to the daemon's run monitoring (which would
report it failed): before the daemon starts, each one is submitted again as a new queued run
with the same job, tags, config and asset selection, and the dead run is reported failed with
"server stopped; resubmitted as run …". A job is derived from all the runs with its job tag,
newest first, so it shows the new run: pending, then running, never failed.

A run in CANCELING was being cancelled by a user; it is reported cancelled.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import dagster as dg

from media_pipeline.automation.liveness import worker_alive
from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.launcher import GRPC_INFO_TAG
from media_pipeline.jobs.submit import RunSubmitter
from media_pipeline.partitions import RESUBMITTED_AS_TAG, RESUBMITTED_FROM_TAG

STOPPED_PREFIX = "server stopped; "
IN_FLIGHT = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
             dg.DagsterRunStatus.CANCELING)


@dataclass
class Recovered:
    """What :func:`requeue_orphaned_runs` did, by old run id."""

    resubmitted: dict[str, str] = field(default_factory=dict)
    """Old run id -> the new queued run's id."""
    cancelled: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Old run id -> why it could not be submitted again."""


def orphaned_runs(instance: dg.DagsterInstance) -> Iterator[dg.DagsterRun]:
    """In-flight runs launched through a code server whose worker is gone (pid and start
    time checked, so a reused pid does not count as the worker)."""
    for record in instance.get_run_records(dg.RunsFilter(statuses=list(IN_FLIGHT))):
        run = record.dagster_run
        if GRPC_INFO_TAG in run.tags and not worker_alive(instance, run.run_id):
            yield run


def resubmit_tags(run: dg.DagsterRun) -> dict[str, str]:
    """The run's own tags for its replacement: Dagster's hidden ones (``.dagster/…``, such as
    the code server's address) are set again by the new launch."""
    tags = {k: v for k, v in run.tags.items() if not k.startswith(".")}
    tags[RESUBMITTED_FROM_TAG] = run.run_id
    return tags


def requeue_orphaned_runs(instance: dg.DagsterInstance, submitter: RunSubmitter,
                          say: Callable[[str], None] | None = None) -> Recovered:
    """Submit every orphaned run again (see the module's doc); call before the daemon runs."""
    done = Recovered()
    for run in list(orphaned_runs(instance)):
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, "cancelled (the server stopped during the cancel)")
            done.cancelled.append(run.run_id)
            continue
        selection = sorted(k.to_user_string() for k in run.asset_selection or ())
        try:
            new_id = submitter.submit(run.job_name, tags=resubmit_tags(run),
                                      run_config=run.run_config,
                                      asset_selection=selection or None)
        except MediaPipelineError as exc:
            reason = f"{STOPPED_PREFIX}could not be resubmitted ({exc.user_message})"
            instance.report_run_failed(run, reason)
            done.failed[run.run_id] = reason
            continue
        instance.add_run_tags(run.run_id, {RESUBMITTED_AS_TAG: new_id})
        instance.report_run_failed(run, f"{STOPPED_PREFIX}resubmitted as run {new_id}")
        done.resubmitted[run.run_id] = new_id
    if say is not None and (done.resubmitted or done.failed):
        say(f"queued again {len(done.resubmitted)} run(s) interrupted by the last stop"
            + (f"; {len(done.failed)} could not be" if done.failed else ""))
    return done
