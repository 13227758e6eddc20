"""Scheduled reprocessing: partitions whose artifacts no longer match the current settings.

A library row stores the ``library_entry`` fingerprint it was made with; fingerprints chain
through the graph (code versions, the settings each asset reads, the model's identity), so a
row whose fingerprint differs from today's was made by other code, another model or another
setting: it is stale. Reprocessing runs stale partitions in contiguous batches (one run and
one model load per batch); the assets then redo only what changed.

The schedule never lets the run queue hold more than ``reprocess_max_queued`` runs, and does
not resubmit partitions that a reprocessing run already covers. ``media-pipeline reprocess
--stale`` does the same pass in this process (``batch.reprocess_stale``).
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from media_pipeline.library.db import Library
from media_pipeline.partitions import (
    ACTIVE,
    MEDIA_PARTITIONS_NAME,
    RANGE_END,
    RANGE_START,
    REPROCESS_TAG,
    SUBTITLES_JOB,
    WAITING,
    contiguous_ranges,
    range_tags,
)
from media_pipeline.resources.config import PipelineConfig, quiet_run_config
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.music import media_settings


@dataclass(frozen=True)
class StaleEntry:
    key: str
    reason: str


def stale_entries(library: Library, current_fingerprint: str | Callable[[str], str],
                  ) -> list[StaleEntry]:
    """Completed library rows that the current code and settings would make differently.

    ``current_fingerprint`` is one fingerprint for every row, or a function of the key (a
    media's own lyrics and dictionary entries enter only its own fingerprint).
    """
    out = []
    for row in library.rows(status="completed"):
        current = (current_fingerprint(row.key) if callable(current_fingerprint)
                   else current_fingerprint)
        if row.fingerprint != current:
            out.append(StaleEntry(row.key, "made with other code, model or settings"))
        elif not row.outputs or not all(Path(p).exists() for p in row.outputs.values()):
            out.append(StaleEntry(row.key, "subtitle files are missing"))
    return out


def covered_by_active_runs(instance: dg.DagsterInstance, order: Sequence[str]) -> set[str]:
    """Partitions that a queued or running reprocessing run will already redo."""
    covered: set[str] = set()
    for record in instance.get_run_records(
            dg.RunsFilter(tags={REPROCESS_TAG: "1"}, statuses=list(ACTIVE))):
        tags = record.dagster_run.tags
        first, last = tags.get(RANGE_START), tags.get(RANGE_END)
        if first in order and last in order:
            covered.update(order[order.index(first): order.index(last) + 1])
    return covered


def plan_reprocessing(instance: dg.DagsterInstance, stale: Sequence[str], batch_size: int,
                      max_queued: int, group_of: Callable[[str], Hashable] = lambda k: None,
                      ) -> list[tuple[str, str]]:
    """Partition ranges to launch now: at most ``max_queued`` minus the runs already waiting.

    A range never mixes partitions of different ``group_of`` (they run with other settings).
    """
    order = list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
    wanted = set(stale) - covered_by_active_runs(instance, order)
    capacity = max(0, max_queued - instance.get_runs_count(
        dg.RunsFilter(statuses=list(WAITING))))
    groups: dict[Hashable, set[str]] = {}
    for key in wanted:
        groups.setdefault(group_of(key), set()).add(key)
    ranges = [r for keys in groups.values()
              for r in contiguous_ranges(order, keys, max(1, batch_size))]
    return sorted(ranges, key=lambda r: order.index(r[0]))[:capacity]


def stale_keys(storage: StorageResource, settings: PipelineSettings) -> list[str]:
    """Stale library rows, each judged with the settings its media runs with."""
    return [e.key for e in stale_entries(storage.library(), lambda k: storage.fingerprints(
        media_settings(storage.root, settings, k), k)["library_entry"])]


def build_reprocess_schedule(cron: str, batch_size: int, max_queued: int) -> dg.ScheduleDefinition:
    @dg.schedule(name="reprocess_stale", cron_schedule=cron, job_name=SUBTITLES_JOB,
                 default_status=dg.DefaultScheduleStatus.RUNNING,
                 description="Re-runs partitions made with older code, models or settings.")
    def reprocess_schedule(context: dg.ScheduleEvaluationContext, storage: StorageResource,
                        pipeline: PipelineConfig) -> Sequence[dg.RunRequest] | dg.SkipReason:
        settings = pipeline.settings()
        stale = stale_keys(storage, settings)
        if not stale:
            return dg.SkipReason("every library entry is up to date")

        def chosen(key: str) -> PipelineSettings:
            return media_settings(storage.root, settings, key)
        ranges = plan_reprocessing(context.instance, stale, batch_size, max_queued, chosen)
        if not ranges:
            return dg.SkipReason(f"{len(stale)} stale partitions wait for the run queue "
                                 f"(at most {max_queued} queued runs)")
        return [dg.RunRequest(tags={**range_tags(first, last), REPROCESS_TAG: "1"},
                              run_config=quiet_run_config(
                                  None if chosen(first) == settings else chosen(first)))
                for first, last in ranges]

    return reprocess_schedule
