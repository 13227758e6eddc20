"""Partitions, job names, run tags and run statuses: the vocabulary runs are described in."""

import dagster as dg

MEDIA_PARTITIONS_NAME = "media"
NARRATION_PARTITIONS_NAME = "narration"

media_partitions = dg.DynamicPartitionsDefinition(name=MEDIA_PARTITIONS_NAME)
narration_partitions = dg.DynamicPartitionsDefinition(name=NARRATION_PARTITIONS_NAME)

SUBTITLES_JOB = "subtitles_job"
NARRATION_JOB = "narration_job"

PARTITION_TAG = "dagster/partition"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
REPROCESS_TAG = "media_pipeline/reprocess"
RESUBMITTED_FROM_TAG = "media_pipeline/resubmitted_from"
"""On a run submitted again after a server stop: the id of the run it replaces."""
RESUBMITTED_AS_TAG = "media_pipeline/resubmitted_as"
"""On a run a server stop interrupted: the id of the run that replaces it (it did not fail
by itself)."""

WAITING = (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED)
PENDING = (*WAITING, dg.DagsterRunStatus.STARTING)
ACTIVE = (*PENDING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run materialize partitions ``first``..``last``."""
    return {RANGE_START: first, RANGE_END: last}


def contiguous_ranges(order: list[str], wanted: set[str], batch_size: int) -> list[tuple[str, str]]:
    """Runs of consecutive ``wanted`` keys in partition ``order``, at most ``batch_size`` long.

    A run can only span a contiguous range of a dynamic partition set.
    """
    ranges: list[tuple[str, str]] = []
    current: list[str] = []
    for key in order:
        if key in wanted and len(current) < batch_size:
            current.append(key)
            continue
        if current:
            ranges.append((current[0], current[-1]))
        current = [key] if key in wanted else []
    if current:
        ranges.append((current[0], current[-1]))
    return ranges
