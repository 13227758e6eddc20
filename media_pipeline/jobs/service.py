"""Jobs over the Dagster instance: create (dedupe, back-pressure), read, cancel, edit.

Everything a job is comes from its runs (tag ``media_pipeline/job``); this class adds no
state of its own beyond caches. New runs go to the instance's queue through a
:class:`RunSubmitter`; the daemon launches them under the instance's limits.
"""

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.audio.probe import MediaProbe, probe_media
from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.derive import FactsCache, derive_job, job_id_of
from media_pipeline.jobs.library_jobs import with_library_facts
from media_pipeline.jobs.model import (
    API_TAG,
    JOB_TAG,
    KIND_EXPORT,
    KIND_PROCESS,
    KIND_TAG,
    NAME_TAG,
    OPTIONS_TAG,
    SETTINGS_TAG,
    Job,
    JobOptions,
    JobState,
    job_id_for,
    resolve_settings,
    settings_to_tag,
)
from media_pipeline.jobs.submit import RunSubmitter
from media_pipeline.library.cleanup_reverts import CleanupRevertStore
from media_pipeline.library.cleanup_review import change_rows, choose_ids
from media_pipeline.library.db import Library
from media_pipeline.library.edits import (
    EditState,
    EditStore,
    Segment,
    apply_change,
    cues_base,
    segments_from_cues,
)
from media_pipeline.library.sidecars import SidecarStore
from media_pipeline.partitions import (
    ACTIVE,
    MEDIA_PARTITIONS_NAME,
    PARTITION_TAG,
    SUBTITLES_JOB,
    WAITING,
)
from media_pipeline.resources.config import run_config_for
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.stages.export import safe_stem
from media_pipeline.store.fingerprints import descendants
from media_pipeline.store.intake import media_key_of_file, media_suffix, store_media_file
from media_pipeline.store.lyrics import store_lyrics
from media_pipeline.store.paths import DataRoot


class JobNotFoundError(MediaPipelineError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id}")


class JobConflictError(MediaPipelineError):
    """The job is not in a state that allows the request."""


class InvalidOptionsError(MediaPipelineError):
    """An option the pipeline cannot use (unknown profile, model not on this machine…)."""


class TooManyPendingError(MediaPipelineError):
    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(f"{waiting} jobs are already waiting; try again later")
        self.waiting = waiting
        self.retry_after_s = retry_after_s


EXPORT_ASSETS = descendants("edited_cues")
RETRY_AFTER_S = 10
"""What a 429 tells a client to wait before it tries again."""
UNCOUNTED_TAG = "media_pipeline/uncounted"
"""On the run of a job created with ``counted=False`` (a media server's notice): it waits
in the run queue like an inbox file, outside MAX_PENDING_MEDIA_JOBS."""


@dataclass(frozen=True)
class Created:
    job: Job
    created: bool
    """False when an existing job (same content, same options) was returned."""


def _selection(only: Sequence[str] | None) -> dict[str, Any]:
    """The submit keyword for a run of just ``only`` (none for a whole run)."""
    return {"asset_selection": list(only)} if only else {}


class JobService:
    def __init__(self, runtime: RuntimeSettings, defaults: PipelineSettings,
                 instance: dg.DagsterInstance, submitter: RunSubmitter,
                 on_created: Callable[[Job], None] | None = None) -> None:
        self.runtime = runtime
        self.defaults = defaults
        self.instance = instance
        self.submitter = submitter
        self.on_created = on_created
        self.storage = StorageResource.of(runtime)
        self.data = DataRoot.of(runtime)
        self.facts = FactsCache(instance, runtime.max_finished_jobs)
        self._create_lock = threading.Lock()
        self._export_lock = threading.Lock()

    # ---------------------------------------------------------------- reading
    @property
    def library(self) -> Library:
        return self.data.library()

    def get(self, job_id: str) -> Job | None:
        records = self.instance.get_run_records(dg.RunsFilter(tags={JOB_TAG: job_id}))
        job = derive_job(job_id, records, self.facts, self.defaults)
        return self.with_outputs(job) if job is not None else None

    def find(self, job_id: str) -> Job | None:
        """:meth:`get`, else for a media key the library's file (``jobs/library_jobs.py``)."""
        return with_library_facts(self, job_id, self.get(job_id))

    def require(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def all(self, limit: int | None = None) -> list[Job]:
        """Jobs, newest first: every unfinished one and the newest ``MAX_FINISHED_JOBS``
        finished ones (older history stays in the instance, readable by id)."""
        window = max(1, self.runtime.max_finished_jobs)
        api = {API_TAG: "1"}
        records = [*self.instance.get_run_records(dg.RunsFilter(tags=api,
                                                                statuses=list(ACTIVE))),
                   *self.instance.get_run_records(dg.RunsFilter(tags=api), limit=4 * window)]
        ids = dict.fromkeys(j for j in map(job_id_of, records) if j)
        jobs = [job for job in map(self.get, ids) if job is not None]
        ended = (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)
        newest = sorted(jobs, key=lambda j: -j.created_at)
        kept = {j.id for j in [j for j in newest if j.state in ended][:window]}
        out = [j for j in newest if j.state not in ended or j.id in kept]
        return out[:limit] if limit else out

    def waiting_count(self) -> int:
        """API media jobs whose run still waits in the queue (what MAX_PENDING_MEDIA_JOBS
        counts): not re-exports, narrations, inbox, reprocessing, ``counted=False`` notices."""
        media = {API_TAG: "1", KIND_TAG: KIND_PROCESS}
        every = self.instance.get_runs_count(dg.RunsFilter(statuses=list(WAITING), tags=media))
        if not every:
            return 0
        uncounted = self.instance.get_runs_count(dg.RunsFilter(
            statuses=list(WAITING), tags={**media, UNCOUNTED_TAG: "1"}))
        return int(every - uncounted)

    def with_outputs(self, job: Job) -> Job:
        """``job`` with the URLs of its subtitle files (when it has any)."""
        done = job.state in (JobState.COMPLETED, JobState.EXPORTING)
        if done and "subtitles" in job.fingerprints:
            manifest = self.storage.artifacts.manifest(job.media_key, "subtitles",
                                                       job.fingerprints["subtitles"])
            formats = sorted(manifest["files"]) if manifest else []
            job.outputs = {fmt: f"/api/jobs/{job.id}/subtitles/{fmt}" for fmt in formats}
        return job

    def subtitle_path(self, job: Job, fmt: str) -> Path | None:
        fp = job.fingerprints.get("subtitles")
        if fp is None:
            return None
        store = self.storage.artifacts
        manifest = store.manifest(job.media_key, "subtitles", fp)
        directory = store.directory(job.media_key, "subtitles", fp)
        if manifest is not None:
            name = manifest["files"].get(fmt)
            return directory / name if name else None
        # Being re-exported right now (unsealed): the previous file is still in place.
        found = sorted(p for p in directory.glob(f"*.{fmt}") if not p.name.startswith("."))
        return found[0] if found else None

    # --------------------------------------------------------------- creating
    def validate(self, options: JobOptions) -> PipelineSettings:
        """The run's settings for ``options``; raises InvalidOptionsError."""
        try:
            options.validate()
        except ValueError as exc:
            raise InvalidOptionsError(str(exc)) from exc
        settings = resolve_settings(self.defaults, options)
        try:
            from media_pipeline.asr.models import is_english_only
            from media_pipeline.stages.music import settings_for_lyrics
            from media_pipeline.stages.refining import profile_for

            if options.lyrics:  # non-English lyrics need the multilingual model
                settings, _ = settings_for_lyrics(settings, options.lyrics,
                                                  model_chosen=options.model is not None)

            profile_for(settings)
            self.storage.fingerprints(settings)  # resolves the model: fails if not here
            english = is_english_only(settings.model, self.storage.model_dir(settings))
        except MediaPipelineError as exc:
            raise InvalidOptionsError(exc.user_message) from exc
        if english and settings.task == "translate":
            raise InvalidOptionsError(f"model {settings.model!r} is English-only; task "
                                      "translate needs a multilingual model")
        if english and settings.language not in ("", "en"):
            raise InvalidOptionsError(f"model {settings.model!r} is English-only; language "
                                      f"{settings.language!r} needs a multilingual model")
        return settings

    def create(self, media: Path, display_name: str, options: JobOptions,
               probe: MediaProbe | None = None, source_path: Path | None = None,
               only: Sequence[str] | None = None, counted: bool = True) -> Created:
        """A job for ``media`` (already checked to be within limits by the caller).

        ``media`` is an upload in a temporary file (moved into the media store) or, with
        ``source_path``, a file of the library root (hard-linked or copied). ``only``: the
        run materializes just these assets (upstream included; ``/detect-language`` stops
        at ``spoken_language``). ``counted=False`` (a media server's notice, never resent):
        queued whatever MAX_PENDING_MEDIA_JOBS says, and not counted toward it. Raises
        NotMediaError, InvalidOptionsError, TooManyPendingError.
        """
        settings = self.validate(options)
        probe = probe or probe_media(media)
        key = media_key_of_file(media)
        job_id = job_id_for(key, self.defaults, options)
        with self._create_lock:
            existing = self.get(job_id)
            if existing is not None and self._reusable(existing, settings, only):
                return Created(existing, False)
            if counted and (waiting := self.waiting_count()) >= \
                    self.runtime.max_pending_media_jobs:
                raise TooManyPendingError(waiting, retry_after_s=RETRY_AFTER_S)
            stored = self._store(media, key, probe, move=source_path is None)
            if (row := self.library.get(key)) is not None and row.status == "cancelled":
                self.library.set_status(key, "pending")  # asked for again: it runs
            if options.lyrics:  # the music stage reads them from the data root
                store_lyrics(self.runtime.data_dir, key, options.lyrics)
            name = safe_stem(display_name) + stored.suffix
            self.library.register(key, name, str(source_path or stored))
            if source_path is not None:  # output_dir mirrors the tree below the library root
                root = self.runtime.library_root or DataRoot.of(self.runtime).default_library_root
                SidecarStore(self.library).record_roots({str(source_path): str(root)})
            if not self.instance.has_dynamic_partition(MEDIA_PARTITIONS_NAME, key):
                self.instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, [key])
            self.submitter.submit(SUBTITLES_JOB, tags={
                PARTITION_TAG: key, JOB_TAG: job_id, API_TAG: "1", KIND_TAG: KIND_PROCESS,
                NAME_TAG: name, SETTINGS_TAG: settings_to_tag(settings),
                OPTIONS_TAG: json.dumps(options.explicit(), sort_keys=True),
                **({} if counted else {UNCOUNTED_TAG: "1"}),
            }, run_config=run_config_for(settings), **_selection(only))
            job = self.require(job_id)
        if self.on_created is not None:
            self.on_created(job)
        return Created(job, True)

    def _reusable(self, job: Job, settings: PipelineSettings,
                  only: Sequence[str] | None = None) -> bool:
        if job.settings != settings or job.state in (JobState.FAILED, JobState.CANCELLED):
            return False
        if job.state != JobState.COMPLETED:
            # Queued or running: that is the job, when its run makes what is asked for (a
            # run that stops at spoken_language makes no subtitles).
            run = self.instance.get_run_by_id(job.run_id) if job.run_id else None
            chosen = run.asset_selection if run is not None else None
            wanted = {dg.AssetKey(a) for a in (only or ["subtitles"])}
            return chosen is None or wanted <= set(chosen)
        if only:
            return all(a in job.fingerprints and self.storage.artifacts.manifest(
                job.media_key, a, job.fingerprints[a]) is not None for a in only)
        path = self.subtitle_path(job, "srt")
        return path is not None and path.exists()

    def _store(self, media: Path, key: str, probe: MediaProbe, move: bool) -> Path:
        """Into the media store under ``<key><suffix>``; an upload's temp file is consumed."""
        if not move:
            return store_media_file(media, self.data.media_dir, key)
        named = media.with_name(f"{media.name}{media_suffix(probe)}")
        media.rename(named)
        try:
            return store_media_file(named, self.data.media_dir, key)
        finally:
            named.unlink(missing_ok=True)

    # ------------------------------------------------------------- cancelling
    def cancel(self, job_id: str) -> Job:
        """Cancel the job's active run (queued: at once; running: terminated). A file still
        pending in the library is marked cancelled, so the repair sensor, which runs again
        every pending file whose run ended early, leaves it alone."""
        job = self.require(job_id)
        records = self.instance.get_run_records(dg.RunsFilter(tags={JOB_TAG: job_id}))
        cancelled = False
        for record in records:
            run = record.dagster_run
            if not run.is_finished and run.status != dg.DagsterRunStatus.CANCELING:
                self.instance.run_coordinator.cancel_run(run.run_id)
                cancelled = True
        row = self.library.get(job.media_key) if cancelled else None
        if row is not None and row.status == "pending":
            self.library.set_status(job.media_key, "cancelled", "cancelled by the user")
        return self.get(job_id) or job

    # ---------------------------------------------------------------- editing
    def _edit_base(self, job: Job) -> tuple[str, list[Segment]]:
        fp = job.fingerprints.get("corrected_cues")
        # A failed job whose cues were made stays editable: its failed run is usually the
        # re-export after an edit, and undo is how the user gets out of that edit.
        if job.state not in (JobState.COMPLETED, JobState.EXPORTING, JobState.FAILED) \
                or fp is None:
            raise JobConflictError(f"job {job.id} is {job.state.value}; segments can be "
                                   "edited once it has completed")
        if self.storage.artifacts.manifest(job.media_key, "corrected_cues", fp) is None:
            raise JobConflictError(f"the cues of job {job.id} are no longer stored")
        path = self.storage.artifacts.find(job.media_key, "corrected_cues", fp, "cues")
        return cues_base(path), segments_from_cues(read_cues(path))

    def segments(self, job: Job) -> EditState:
        base, original = self._edit_base(job)
        return EditStore(self.library).state(job.media_key, base, original)

    def edit(self, job: Job, segment_id: int, **changes: Any) -> EditState:
        return self.change(job, lambda segments: apply_change(segments, segment_id, **changes))

    def change(self, job: Job, change: Callable[[list[Segment]], list[Segment]]) -> EditState:
        """One undoable step (an edit, split or merge); a real change is exported again."""
        base, original = self._edit_base(job)
        before = EditStore(self.library).state(job.media_key, base, original)
        state = EditStore(self.library).change(job.media_key, base, original, change)
        if state.version != before.version:
            self.request_export(job)
        return state

    def undo(self, job: Job, redo: bool = False) -> EditState:
        base, original, store = *self._edit_base(job), EditStore(self.library)
        state = (store.redo if redo else store.undo)(job.media_key, base, original)
        self.request_export(job)
        return state

    def redo(self, job: Job) -> EditState:
        return self.undo(job, redo=True)

    # ------------------------------------------------------- cleanup review
    def cleanup_changes(self, job: Job) -> list[dict[str, Any]]:
        """What cleanup changed in the job's transcript (see cleanup_review.change_rows)."""
        fp = job.fingerprints.get("cues")
        manifest = self.storage.artifacts.manifest(job.media_key, "cues", fp) if fp else None
        if manifest is None or "cleanup" not in manifest["files"]:
            raise JobConflictError(f"job {job.id} is {job.state.value}; its cleanup can be "
                                   "reviewed once it has completed")
        path = self.storage.artifacts.find(job.media_key, "cues", fp or "", "cleanup")
        return change_rows(path, CleanupRevertStore(self.library).ids(job.media_key))

    def revert_cleanup(self, job: Job, ids: list[str], every: bool = False,
                       kind: str | None = None, restore: bool = False) -> list[dict[str, Any]]:
        """Revert (or ``restore``) cleanup changes; a run then makes the subtitles again."""
        chosen = choose_ids(self.cleanup_changes(job), ids, every, kind)
        store = CleanupRevertStore(self.library)
        count = (store.remove(job.media_key, chosen) if restore
                 else store.add(job.media_key, chosen))
        if count:  # the cues' fingerprint changed: the run redoes cues and what follows
            self.request_export(job)
        return self.cleanup_changes(job)

    def request_export(self, job: Job) -> str:
        """Queue a run that re-exports the job's subtitles from its edited cues.

        One waiting export run per job is enough: it reads the edits when it runs.
        """
        with self._export_lock:
            settings = job.settings or self.defaults
            # Same fingerprints as the job's cues: re-export only. Otherwise (the user
            # dictionary, stored lyrics or cleanup reverts changed since) run everything:
            # unchanged steps are free, and the edits follow the cues as long as those come
            # out the same.
            same = self.storage.fingerprints(settings, job.media_key).get("corrected_cues") == \
                job.fingerprints.get("corrected_cues")
            waiting = self.instance.get_run_records(dg.RunsFilter(
                tags={JOB_TAG: job.id, KIND_TAG: KIND_EXPORT}, statuses=list(WAITING)), limit=1)
            # A waiting export-only run would not redo the cues that changed since.
            if waiting and (same or waiting[0].dagster_run.asset_selection is None):
                return waiting[0].dagster_run.run_id
            return self.submitter.submit(SUBTITLES_JOB, tags={
                PARTITION_TAG: job.media_key, JOB_TAG: job.id, API_TAG: "1",
                KIND_TAG: KIND_EXPORT, NAME_TAG: job.name,
                SETTINGS_TAG: settings_to_tag(settings),
                OPTIONS_TAG: json.dumps(job.options, sort_keys=True),
            }, run_config=run_config_for(settings), asset_selection=EXPORT_ASSETS if same else None)
