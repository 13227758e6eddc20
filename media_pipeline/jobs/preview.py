"""The burned-in MP4 preview of a job's current subtitles, rendered on request.

A job made with ``preview`` off has no MP4. Asking for one queues an export run of that job
with ``preview`` on (the ``preview`` asset renders it; the re-export machinery of edits,
tagged :data:`PREVIEW_TAG`). A preview is current when it was made from the job's latest
segment edit: an edit made since makes it stale, and the page asks again.
"""

import json
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg

from media_pipeline.jobs.model import (
    API_TAG,
    JOB_TAG,
    KIND_EXPORT,
    KIND_TAG,
    NAME_TAG,
    OPTIONS_TAG,
    SETTINGS_TAG,
    Job,
    JobState,
    settings_to_tag,
)
from media_pipeline.jobs.service import JobConflictError, JobService
from media_pipeline.library.edits import EditStore, cues_base
from media_pipeline.partitions import ACTIVE, PARTITION_TAG, SUBTITLES_JOB
from media_pipeline.resources.config import run_config_for
from media_pipeline.settings import PipelineSettings
from media_pipeline.store.fingerprints import descendants

PREVIEW_TAG = "media_pipeline/preview"
"""On an export run that renders a preview the job was made without."""
EXPORT_ASSETS = descendants("edited_cues")


@dataclass(frozen=True)
class PreviewStatus:
    state: str
    """none, rendering, ready or failed"""
    error: str | None = None
    path: Path | None = None
    """The MP4 when ready."""

    def to_json(self) -> dict[str, str | None]:
        return {"state": self.state, "error": self.error}


def preview_settings(service: JobService, job: Job) -> PipelineSettings:
    """The job's settings with ``preview`` on."""
    return replace(job.settings or service.defaults, preview=True)


def _edit_version(service: JobService, job: Job) -> int | None:
    """The job's current edit version (0 unedited), None when it has no cues to show."""
    fp = job.fingerprints.get("corrected_cues")
    store = service.storage.artifacts
    if fp is None or store.manifest(job.media_key, "corrected_cues", fp) is None:
        return None
    base = cues_base(store.find(job.media_key, "corrected_cues", fp, "cues"))
    current = EditStore(service.library).current(job.media_key, base)
    return current[1] if current else 0


def preview_status(service: JobService, job: Job) -> PreviewStatus:
    """Whether the job's preview of its current subtitles is ready, rendering or failed."""
    version = _edit_version(service, job)
    settings = preview_settings(service, job)
    fp = service.storage.fingerprints(settings, job.media_key)["preview"]
    store = service.storage.artifacts
    manifest = store.manifest(job.media_key, "preview", fp)
    if version is not None and manifest is not None and "mp4" in manifest["files"] \
            and int(manifest["info"].get("edit_version", 0)) == version:
        return PreviewStatus("ready", path=store.find(job.media_key, "preview", fp, "mp4"))
    records = service.instance.get_run_records(
        dg.RunsFilter(tags={JOB_TAG: job.id, PREVIEW_TAG: "1"}), limit=1)
    if not records:
        return PreviewStatus("none")
    run = records[0].dagster_run
    if run.status in ACTIVE:
        return PreviewStatus("rendering")
    if run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
        error = service.facts.get(records[0]).error
        return PreviewStatus("failed", error or "the preview could not be rendered")
    return PreviewStatus("none")  # made from an earlier edit: ask again


def request_preview(service: JobService, job: Job) -> PreviewStatus:
    """Queue the render of the job's preview unless it is ready or rendering already."""
    # Exporting: an edit's re-export is queued or running; the preview run follows it.
    ready = job.state in (JobState.COMPLETED, JobState.EXPORTING)
    if not ready or _edit_version(service, job) is None:
        raise JobConflictError(f"job {job.id} is {job.state.value}; a preview can be "
                               "rendered once it has completed")
    status = preview_status(service, job)
    if status.state in ("ready", "rendering"):
        return status
    settings = preview_settings(service, job)
    # As an edit's re-export: only what follows the cues, unless the cues changed since.
    same = service.storage.fingerprints(settings, job.media_key).get("corrected_cues") == \
        job.fingerprints.get("corrected_cues")
    service.submitter.submit(SUBTITLES_JOB, tags={
        PARTITION_TAG: job.media_key, JOB_TAG: job.id, API_TAG: "1", KIND_TAG: KIND_EXPORT,
        NAME_TAG: job.name, SETTINGS_TAG: settings_to_tag(settings),
        OPTIONS_TAG: json.dumps(job.options, sort_keys=True), PREVIEW_TAG: "1",
    }, run_config=run_config_for(settings), asset_selection=EXPORT_ASSETS if same else None)
    after = preview_status(service, job)  # an in-process submitter has already run it
    return after if after.state != "none" else PreviewStatus("rendering")
