"""How media become runs, for the inbox sensor, the repair sensor and ``process`` alike.

Dagster cannot fail one partition of a multi-partition run, so each file is first probed
(once: the probe is sealed as its ``source_media`` artifact). What is not media runs alone
and fails its own partition; a file whose run died runs alone; a file whose lone runs died
twice in a row is given up with the reason; the rest run as contiguous partition ranges
(one model load for many files).
"""

from dataclasses import dataclass

import dagster as dg

from media_pipeline.audio.probe import probe_media
from media_pipeline.automation.recovery import History, histories
from media_pipeline.errors import MediaPipelineError
from media_pipeline.partitions import contiguous_ranges
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.preprocessing import probe_step

MAX_DEATHS_ALONE = 2
"""A file is retried once after its lone run died; the second death gives it up."""


@dataclass
class RunPlan:
    """Runs to make for a set of media keys."""

    alone: list[str]
    """Keys to run one per run: not media, or a run of theirs failed before."""
    batches: list[tuple[str, str]]
    """Contiguous partition ranges of the keys that probed as media."""
    given_up: dict[str, str]
    """Keys not to run again, with the reason to report."""


def plan_runs(storage: StorageResource, settings: PipelineSettings, instance: dg.DagsterInstance,
              keys: list[str], order: list[str], batch_size: int, retry: bool = False,
              seal: bool = True) -> RunPlan:
    """The runs for ``keys`` (``order``: every media partition key, in order).

    ``retry`` runs files that would be given up anyway (a user asked for them by name).
    ``seal`` seals each probe as the ``source_media`` artifact (which decodes the whole file
    to measure it); a sensor, which has about a minute per tick, only reads the headers.
    """
    past = histories(instance, keys, order)
    given_up = {} if retry else {k: reason for k in keys
                                 if (reason := give_up_reason(past[k])) is not None}
    rest = [k for k in keys if k not in given_up]
    source_fp = storage.fingerprints(settings)["source_media"]  # reads no setting: one for all
    good = [k for k in rest if not past[k].finished and probe_once(storage, source_fp, k, seal)]
    alone = [k for k in rest if k not in set(good)]
    return RunPlan(alone, contiguous_ranges(order, set(good), batch_size), given_up)


def give_up_reason(history: History) -> str | None:
    """Why a file's runs should stop being retried; None while one more try is fair."""
    deaths = history.deaths_alone()
    if deaths >= MAX_DEATHS_ALONE:
        reason = history.finished[0][2]
        return f"its run died {deaths} times in a row; not retried ({reason})"
    return None


def probe_once(storage: StorageResource, fingerprint: str, key: str, seal: bool = True) -> bool:
    """Whether ``key``'s stored file is media: sealed already, else probed (and, with
    ``seal``, sealed as its ``source_media`` artifact, which decodes it; without, only its
    headers are read)."""
    if storage.artifacts.manifest(key, "source_media", fingerprint) is not None:
        return True
    media = storage.data.media_file(key)
    if media is None:
        return False
    try:
        if not seal:
            probe_media(media)
            return True
        files, info = probe_step(media, storage.artifacts.directory(key, "source_media",
                                                                    fingerprint))
    except MediaPipelineError:
        return False
    storage.artifacts.commit(key, "source_media", fingerprint, files, info)
    return True
