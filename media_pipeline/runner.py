"""Process files without a daemon: register, plan, run in batches, isolate failures.

Dagster cannot fail one partition of a multi-partition run, so files are first probed
(bad ones run alone, failing their own partition), good ones run as contiguous partition
ranges in one in-process run each (one model load for many files), and a batch that still
fails is retried one partition per run so the failure lands on the file that caused it.
"""

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from media_pipeline import progress
from media_pipeline.audio.probe import probe_media
from media_pipeline.definitions import build_definitions
from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.instance import open_instance
from media_pipeline.library.db import Library, LibraryRow
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME
from media_pipeline.registration import contiguous_ranges, list_media_files, store_file
from media_pipeline.resources.pipeline import StorageResource
from media_pipeline.sensors import SUBTITLES_JOB, range_tags
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.storage import stored_media_file


@dataclass
class FileResult:
    """The outcome for one input file (the ``--json`` contract)."""

    source: str
    key: str | None
    status: str
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "key": self.key, "status": self.status,
                "error": self.error, "outputs": self.outputs, "seconds": round(self.seconds, 3)}


OnFile = Callable[[str, str], None]

# The event log in the instance keeps everything; the terminal gets only our own output.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def process_paths(paths: list[Path], runtime: RuntimeSettings, settings: PipelineSettings,
                  on_stage: OnFile | None = None) -> list[FileResult]:
    """Process every media file under ``paths``; never raises for one bad file."""
    files = list_media_files(paths)
    library = Library(runtime.library_path, runtime.library_lock_timeout_s)
    storage = StorageResource(data_dir=str(runtime.data_dir))
    try:
        storage.fingerprints(settings)  # resolves the model: fails clearly if it is not here
    except MediaPipelineError as exc:  # e.g. a model that is not on this machine
        return [FileResult(str(f), None, "failed", exc.user_message) for f in files]
    keys: dict[str, str | None] = {}
    for f in files:
        keys[str(f)] = store_file(f, runtime.media_dir) if f.is_file() else None
    library.register_many([(k, Path(s).name, str(Path(s).resolve()))
                           for s, k in keys.items() if k])
    wanted = list(dict.fromkeys(k for k in keys.values() if k))
    known = library.get_many(wanted)
    fingerprints = {k: storage.fingerprints(settings, k) for k in wanted}
    pending = [k for k in wanted if not _up_to_date(known.get(k),
                                                    fingerprints[k]["library_entry"])]
    if any(storage.artifacts.manifest(k, "transcript", fingerprints[k]["transcript"]) is None
           for k in pending):  # the model will be needed: load it while the first stages run
        threading.Thread(target=_warm_up, args=(storage, settings), daemon=True).start()
    seconds: dict[str, float] = {}
    if pending:
        _run_pending(pending, runtime, settings, library, storage, seconds, on_stage)
    final = library.get_many(wanted)
    results = []
    for source, key in keys.items():
        if key is None:
            results.append(FileResult(source, None, "failed", "file not found or unreadable"))
            continue
        row = final.get(key)
        ok = row is not None and row.status == "completed"
        results.append(FileResult(
            source, key, "completed" if ok else "failed",
            None if ok else (row.error if row and row.error else "processing failed"),
            row.outputs if ok and row else {}, seconds.get(key, 0.0), key not in pending))
    return results


def _warm_up(storage: StorageResource, settings: PipelineSettings) -> None:
    """Import the audio stack and load the model in the background; failures surface later."""
    with contextlib.suppress(Exception):
        import pyloudnorm  # noqa: F401  (scipy.signal takes about a second to import)

        storage.whisper(settings)


def _up_to_date(row: LibraryRow | None, fingerprint: str) -> bool:
    return (row is not None and row.status == "completed" and row.fingerprint == fingerprint
            and bool(row.outputs) and all(Path(p).exists() for p in row.outputs.values()))


def _run_pending(pending: list[str], runtime: RuntimeSettings, settings: PipelineSettings,
                 library: Library, storage: StorageResource, seconds: dict[str, float],
                 on_stage: OnFile | None) -> None:
    instance = open_instance(runtime.dagster_home, runtime)
    job = build_definitions(runtime, settings).resolve_job_def(SUBTITLES_JOB)
    new = [k for k in pending if not instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, k)]
    if new:
        instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, new)
    good: list[str] = []
    bad: list[str] = []
    library.set_status_many(pending, "pending")
    for key in pending:
        (good if _probes(storage, key) else bad).append(key)

    def listener(asset: str, key: str, secs: float, cached: bool) -> None:
        seconds[key] = seconds.get(key, 0.0) + secs
        if on_stage is not None:
            on_stage(asset, key)

    progress.add_listener(listener)
    try:
        for key in bad:
            _run_range(job, instance, key, key, library)
        order = list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
        for first, last in contiguous_ranges(order, set(good), runtime.max_partitions_per_run):
            if _run_range(job, instance, first, last, library):
                continue
            span = order[order.index(first): order.index(last) + 1]
            rows = library.get_many(span)
            for key in span:  # isolate: one run per partition that did not complete
                row = rows.get(key)
                if row is None or row.status != "completed":
                    _run_range(job, instance, key, key, library)
    finally:
        progress.remove_listener(listener)


def _probes(storage: StorageResource, key: str) -> bool:
    media = stored_media_file(storage.media_dir, key)
    if media is None:
        return False
    try:
        probe_media(media)
    except MediaPipelineError:
        return False
    return True


def _run_range(job: dg.JobDefinition, instance: dg.DagsterInstance, first: str, last: str,
               library: Library) -> bool:
    """One in-process run over ``first``..``last``; records failures in the library."""
    result = job.execute_in_process(instance=instance, tags=range_tags(first, last),
                                    run_config=QUIET_RUN_CONFIG, raise_on_error=False)
    if result.success:
        return True
    if first == last:
        row = library.get(first)
        if row is None or row.status != "failed" or not row.error:
            library.set_status(first, "failed", _failure_message(result))
    return False


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """A short, sanitized reason from the first failed step (no traceback)."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            message = (error.message if error else "").strip().splitlines()
            text = message[0] if message else "step failed"
            return f"{event.step_key}: {text}"[:200]
    return "the run failed"
