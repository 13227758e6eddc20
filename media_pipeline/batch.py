"""In-process runs for the CLI: process files, songs with lyrics, stale reprocessing.

Dagster cannot fail one partition of a multi-partition run, so files are first probed (each
once: the probe is sealed as the ``source_media`` artifact; bad files run alone, failing
their own partition), good ones run as contiguous partition ranges in one in-process run
each (one model load for many files), and a batch that still fails is retried one partition
per run so the failure lands on the file that caused it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from media_pipeline.asr.candidates import candidate_models, models_identity
from media_pipeline.audio.speaker_encoder import load_encoder
from media_pipeline.errors import ConfigurationError, MediaPipelineError
from media_pipeline.library.db import Library, LibraryRow
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.stages.fingerprints import media_fingerprints
from media_pipeline.stages.music import media_settings, settings_for_lyrics
from media_pipeline.stages.sidecars import already_subtitled, sidecar_language, sidecars_current
from media_pipeline.store.intake import list_media_files, store_file
from media_pipeline.store.lyrics import read_lyrics_file, sidecar_lyrics, store_lyrics
from media_pipeline.store.paths import DataRoot

if TYPE_CHECKING:  # the run machinery is imported when a file needs a run, not for a rerun
    import dagster as dg

    from media_pipeline.resources.storage import StorageResource
    from media_pipeline.resources.whisper import WhisperResource


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
    language: str | None = None
    """The spoken language (detected, or as set), ISO 639-1."""
    language_probability: float | None = None
    sidecars: list[str] = field(default_factory=list)
    """Subtitle files of ours beside this source (or under output_dir) after the run."""

    def to_json(self) -> dict[str, object]:
        return {"source": self.source, "key": self.key, "status": self.status,
                "error": self.error, "outputs": self.outputs, "seconds": round(self.seconds, 3),
                "language": self.language, "language_probability": self.language_probability,
                "sidecars": self.sidecars}


OnStage = Callable[[str, str], None]
Notify = Callable[[str], None]

# The event log in the instance keeps everything; the terminal gets only our own output.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass(frozen=True)
class Batch:
    """Where and how runs go: the data root, the resources, the progress listener."""

    runtime: RuntimeSettings
    whisper: WhisperResource | None = None
    on_stage: OnStage | None = None
    retry_given_up: bool = False
    """Run files whose lone runs died twice anyway (the user named them again)."""

    @property
    def storage(self) -> StorageResource:
        from media_pipeline.resources.storage import StorageResource

        return StorageResource.of(self.runtime, self.whisper)

    def fingerprints(self, settings: PipelineSettings, key: str | None = None,
                     ) -> dict[str, str]:
        """Every asset's fingerprint for ``key``, without Dagster (for a given fake
        recognizer, with its identity); raises when a model the settings need is not here."""
        data = DataRoot.of(self.runtime)
        identity = (self.whisper.identity(settings, data.models_dir) if self.whisper
                    else models_identity(settings, data.models_dir))
        return media_fingerprints(data, settings, key, identity)

    @property
    def library(self) -> Library:
        return DataRoot.of(self.runtime).library()


def process_paths(paths: list[Path], runtime: RuntimeSettings, settings: PipelineSettings,
                  on_stage: OnStage | None = None, whisper: WhisperResource | None = None,
                  ) -> list[FileResult]:
    """Process every media file under ``paths``; never raises for one bad file."""
    return process_files(list_media_files(paths), Batch(runtime, whisper, on_stage), settings)


def process_files(files: list[Path], batch: Batch, settings: PipelineSettings,
                  lyrics_file: Path | None = None, model_chosen: bool = True,
                  notify: Notify | None = None) -> list[FileResult]:
    """Subtitles for ``files`` (each read, hashed and probed once).

    Lyrics (``lyrics_file`` for the one file given, else ``<name>.lyrics.txt`` sidecars) are
    stored for their media first; a song whose lyrics are not English runs with the
    multilingual model unless ``model_chosen``.
    """
    unreadable: dict[str, str] = {}
    keys = {str(f): _store(f, DataRoot.of(batch.runtime).media_dir, unreadable) for f in files}
    batch.library.register_many([(k, Path(s).name, str(Path(s).resolve()))
                                 for s, k in keys.items() if k])
    chosen = _settings_per_file(files, keys, batch.runtime, settings, lyrics_file, model_chosen,
                                notify)
    outcome: dict[str, FileResult] = {}
    for group in dict.fromkeys(chosen.values()):
        group_keys = {s: k for s, k in keys.items() if chosen.get(s) == group}
        outcome.update(_process_keys(group_keys, batch, group))
    return [outcome.get(str(f)) or FileResult(
        str(f), None, "failed", unreadable.get(str(f), "the file could not be read"))
        for f in files]


def _store(path: Path, media_dir: Path, unreadable: dict[str, str]) -> str | None:
    """``path`` hashed and stored: its key, or None with the reason in ``unreadable``."""
    if not path.is_file():
        unreadable[str(path)] = ("not a file (a folder or a broken link)" if path.exists()
                                 or path.is_symlink() else "no such file")
        return None
    try:
        return store_file(path, media_dir)
    except MediaPipelineError as exc:
        unreadable[str(path)] = exc.user_message
        return None


def _settings_per_file(files: list[Path], keys: dict[str, str | None], runtime: RuntimeSettings,
                       settings: PipelineSettings, lyrics_file: Path | None, model_chosen: bool,
                       notify: Notify | None) -> dict[str, PipelineSettings]:
    """The settings each readable file runs with (songs may get the multilingual model)."""
    if lyrics_file is not None and len(files) != 1:
        raise ConfigurationError("--lyrics goes with exactly one media file")
    chosen: dict[str, PipelineSettings] = {}
    for f in files:
        key = keys[str(f)]
        if key is None:
            continue
        side = lyrics_file if lyrics_file is not None else sidecar_lyrics(f)
        chosen[str(f)] = settings
        if side is not None:
            text = read_lyrics_file(side)
            store_lyrics(runtime.data_dir, key, text)
            chosen[str(f)], note = settings_for_lyrics(settings, text, model_chosen)
            if note and notify is not None:
                notify(f"{f.name}: {note}")
    return chosen


def _process_keys(keys: dict[str, str | None], batch: Batch, settings: PipelineSettings,
                  ) -> dict[str, FileResult]:
    """Run the media ``keys`` (source → key) that are not up to date; their results."""
    try:
        batch.fingerprints(settings)  # resolves the model: fails clearly if it is not here
    except MediaPipelineError as exc:
        return {s: FileResult(s, k, "failed", exc.user_message) for s, k in keys.items()}
    wanted = list(dict.fromkeys(k for k in keys.values() if k))
    known = batch.library.get_many(wanted)
    fingerprints = {k: batch.fingerprints(settings, k) for k in wanted}
    pending = [k for k in wanted if not _up_to_date(known.get(k),
                                                    fingerprints[k]["library_entry"])
               or not sidecars_current(DataRoot.of(batch.runtime), settings, k, fingerprints[k])]
    skipped = _already_subtitled(batch, settings, pending, known)
    pending = [k for k in pending if k not in skipped]
    artifacts = DataRoot.of(batch.runtime).artifacts
    if any(artifacts.manifest(k, "transcript", fingerprints[k]["transcript"]) is None
           for k in pending):  # the model will be needed: load it while the first stages run
        threading.Thread(target=_warm_up, args=(batch, settings), daemon=True).start()
    seconds: dict[str, float] = {}
    if pending:
        run_pending(pending, batch, settings, seconds)
    final = batch.library.get_many(wanted)
    results = {}
    for source, key in keys.items():
        row = final.get(key) if key else None
        ok = row is not None and row.status == "completed"
        if key in skipped and not ok:
            results[source] = FileResult(source, key, "skipped", skipped[key])
            continue
        results[source] = FileResult(
            source, key, "completed" if ok else "failed",
            None if ok else (row.error if row and row.error else "processing failed"),
            row.outputs if ok and row else {}, seconds.get(key or "", 0.0), key not in pending,
            language=row.language if ok and row else None,
            language_probability=row.language_probability if ok and row else None)
    return results


def _already_subtitled(batch: Batch, settings: PipelineSettings, keys: list[str],
                       known: dict[str, LibraryRow]) -> dict[str, str]:
    """``skip_existing``: media whose language is known before any work (set, translated, or
    detected by an earlier run) and whose every source already has a subtitle in it; each
    with the reason. Their rows say ``skipped``, so no repair requeues them."""
    if not (settings.write_beside and settings.skip_existing):
        return {}
    data = DataRoot.of(batch.runtime)
    out: dict[str, str] = {}
    for key in keys:
        row = known.get(key)
        heard = settings.language or (row.language if row is not None else None)
        if settings.task != "translate" and not heard:
            continue  # the language is not known until the file is heard
        language = sidecar_language(heard, settings.task)
        if already_subtitled(data, settings, key, language):
            out[key] = f"a subtitle in {language} is already beside it (--skip-existing)"
    leave = [k for k in out if known.get(k) is None or known[k].status != "completed"]
    batch.library.set_status_many(leave, "skipped")
    return out


def _warm_up(batch: Batch, settings: PipelineSettings) -> None:
    """Import the audio stack and load the models in the background, in the order the steps
    need them (loudness, speakers, then Whisper); failures surface later, in their step."""
    with contextlib.suppress(Exception):
        import pyloudnorm  # noqa: F401  (scipy.signal takes about a second to import)
    if settings.speakers != "off":
        with contextlib.suppress(Exception):  # no encoder here: the step says so, not this
            import sklearn.cluster  # noqa: F401  (the speakers' clustering)

            load_encoder()  # the speaker encoder's weights, read off the speakers step
    with contextlib.suppress(Exception):
        storage = batch.storage
        for model in candidate_models(settings):  # the detector and the transcribers
            storage.whisper.recognizer(settings, storage.data.models_dir, model)


def _up_to_date(row: LibraryRow | None, fingerprint: str) -> bool:
    return (row is not None and row.status == "completed" and row.fingerprint == fingerprint
            and bool(row.outputs) and all(Path(p).exists() for p in row.outputs.values()))


def run_pending(pending: list[str], batch: Batch, settings: PipelineSettings,
                seconds: dict[str, float]) -> None:
    """Run ``pending`` media the one batching way (automation/batching.py); a batch that
    fails is run again one file per run, so each failure lands on its own file."""
    from media_pipeline.assets import progress
    from media_pipeline.assets.selection import needed_assets
    from media_pipeline.automation.batching import plan_runs
    from media_pipeline.automation.recovery import RunOwner, reap_dead_runs
    from media_pipeline.definitions import build_definitions
    from media_pipeline.jobs.instance import open_instance
    from media_pipeline.partitions import MEDIA_PARTITIONS_NAME, SUBTITLES_JOB

    data = DataRoot.of(batch.runtime)
    instance = open_instance(data.dagster_home, batch.runtime)
    reap_dead_runs(instance, data.locks_dir)  # a killed `process` must not hold pool slots
    job = build_definitions(batch.runtime, settings, batch.whisper).resolve_job_def(SUBTITLES_JOB)
    # One query for the known keys (a query per key cost 10-200 ms each, O(library) apiece).
    order = list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
    known = set(order)
    new = [k for k in pending if k not in known]
    if new:
        instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, new)
        # Read back: ranges follow the instance's order, which another process may share.
        order = list(instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))
    plan = plan_runs(batch.storage, settings, instance, pending, order,
                     batch.runtime.max_partitions_per_run, retry=batch.retry_given_up)
    batch.library.set_status_many([k for k in pending if k not in plan.given_up], "pending")
    for key, reason in plan.given_up.items():
        batch.library.set_status(key, "failed", reason)

    def listener(asset: str, key: str, secs: float, cached: bool) -> None:
        seconds[key] = seconds.get(key, 0.0) + secs
        if batch.on_stage is not None:
            batch.on_stage(asset, key)

    progress.add_listener(listener)
    try:
        with RunOwner(data.locks_dir) as owner:
            runner = _Runner(job, instance, batch.library, owner.tags,
                             lambda keys: needed_assets(batch.storage, settings, keys), order)
            for key in plan.alone:
                runner.run(key, key)
            for first, last in plan.batches:
                if not runner.run(first, last):
                    runner.isolate(order[order.index(first): order.index(last) + 1])
    finally:
        progress.remove_listener(listener)


@dataclass
class _Runner:
    """In-process runs over partition ranges, tagged with the owning process's lock."""

    job: dg.JobDefinition
    instance: dg.DagsterInstance
    library: Library
    tags: dict[str, str]
    needed: Callable[[list[str]], list[dg.AssetKey] | None] = lambda keys: None
    order: list[str] = field(default_factory=list)

    def run(self, first: str, last: str) -> bool:
        """One run over ``first``..``last``; a lone file's failure goes to the library."""
        from media_pipeline.assets.partitioned import (
            one_planned_event_per_asset,
            partitions_listed_once,
        )
        from media_pipeline.partitions import range_tags

        keys = (self.order[self.order.index(first): self.order.index(last) + 1]
                if first in self.order and last in self.order else [first, last])
        # Creating the run lists the media partitions once per asset otherwise (0.7 s of a
        # run over 8 files); none is added while the run lasts.
        with partitions_listed_once(self.instance), one_planned_event_per_asset(first != last):
            result = self.job.execute_in_process(
                instance=self.instance, tags={**range_tags(first, last), **self.tags},
                run_config=QUIET_RUN_CONFIG, raise_on_error=False,
                asset_selection=self.needed(keys))
        if result.success:
            return True
        if first == last:
            row = self.library.get(first)
            if row is None or row.status != "failed" or not row.error:
                self.library.set_status(first, "failed", _failure_message(result))
        return False

    def isolate(self, span: list[str]) -> None:
        """One run per partition of a failed batch that did not complete."""
        rows = self.library.get_many(span)
        for key in span:
            row = rows.get(key)
            if row is None or row.status != "completed":
                self.run(key, key)


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """A short, sanitized reason from the first failed step (no traceback)."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            message = (error.message if error else "").strip().splitlines()
            text = message[0] if message else "step failed"
            return f"{event.step_key}: {text}"[:200]
    return "the run failed"



@dataclass
class ReprocessResult:
    stale: int
    selected: list[str]
    completed: list[str]
    failed: list[str]
    runs: int

    def to_json(self) -> dict[str, object]:
        return {"stale": self.stale, "selected": self.selected, "completed": self.completed,
                "failed": self.failed, "runs": self.runs}


def reprocess_stale(batch: Batch, settings: PipelineSettings, limit: int | None = None,
                    dry_run: bool = False, on_selected: Callable[[int], None] | None = None,
                    ) -> ReprocessResult:
    """Re-run stale partitions here, one batch run (one model load) at a time; each song
    with the model its lyrics call for. ``on_selected`` hears how many will run."""
    from media_pipeline.automation.reprocess import stale_keys
    from media_pipeline.jobs.instance import open_instance

    storage = batch.storage
    stale = stale_keys(storage, settings)
    selected = stale[:limit] if limit else stale
    if dry_run or not selected:
        return ReprocessResult(len(stale), selected, [], [], 0)
    if on_selected is not None:
        on_selected(len(selected))
    instance = open_instance(DataRoot.of(batch.runtime).dagster_home, batch.runtime)
    before = {r.run_id for r in instance.get_runs()}
    chosen = {key: media_settings(storage.root, settings, key) for key in selected}
    for group in dict.fromkeys(chosen.values()):  # one batch runner per settings
        run_pending([k for k in selected if chosen[k] == group], batch, group, {})
    runs = len({r.run_id for r in instance.get_runs()} - before)
    rows = batch.library.get_many(selected)
    done = [k for k in selected if rows.get(k) is not None and rows[k].status == "completed"
            and rows[k].fingerprint == storage.fingerprints(chosen[k], k)["library_entry"]]
    return ReprocessResult(len(stale), selected, done, [k for k in selected if k not in done],
                           runs)
