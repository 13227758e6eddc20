"""Jobs for library files processed outside the API (the inbox, ``process``, media servers).

Their runs carry no job tag, so no API job exists for them; the browser page still opens
them by media key. The library row and the artifacts made with the server's settings stand
in for the runs: the file reads as a job, its segments can be edited (the edit queues an
API export run for that key), and later reads merge the artifacts that run did not redo.
"""

import re
from typing import Protocol

from media_pipeline.jobs.model import STATE_PERCENT, Job, JobState, Progress
from media_pipeline.library.db import Library
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings


class JobService(Protocol):
    """What this module reads of ``jobs.service.JobService`` (which imports this module)."""

    defaults: PipelineSettings
    storage: StorageResource

    @property
    def library(self) -> Library: ...

    def with_outputs(self, job: Job) -> Job: ...

_MEDIA_KEY = re.compile(r"^[0-9a-f]{16}$")
#: The job state a library row's status reads as (``skipped``: subtitles were already there;
#: ``cancelled``: a user cancelled the file's run before it finished).
ROW_STATES = {"completed": JobState.COMPLETED, "failed": JobState.FAILED,
              "skipped": JobState.COMPLETED, "cancelled": JobState.CANCELLED}


def with_library_facts(service: JobService, job_id: str, job: Job | None) -> Job | None:
    """``job`` (from its runs), or for a bare media key the library's file: a job of its
    own when no API run exists, else the job with the sealed artifacts it lacks (an export
    run after an edit redoes only what follows the cues)."""
    if not _MEDIA_KEY.match(job_id):
        return job
    if job is None:
        return library_job(service, job_id)
    if job.state.finished and "corrected_cues" not in job.fingerprints:
        job.fingerprints = {**sealed_fingerprints(service, job_id), **job.fingerprints}
        service.with_outputs(job)
    return job


def sealed_fingerprints(service: JobService, key: str) -> dict[str, str]:
    """Fingerprints, under the server's settings, of the artifacts of ``key`` that are sealed."""
    store = service.storage.artifacts
    return {asset: fp for asset, fp in service.storage.fingerprints(service.defaults,
                                                                   key).items()
            if store.manifest(key, asset, fp) is not None}


def library_job(service: JobService, key: str) -> Job | None:
    """The library's file ``key`` as a job (None when the library does not know it)."""
    library = service.library
    row = library.get(key)
    if row is None:
        return None
    times = library.query("SELECT epoch(first_seen), epoch(updated) FROM media WHERE key = ?",
                          [key])
    created_at, updated_at = (float(times[0][0]), float(times[0][1])) if times else (0.0, 0.0)
    names = library.names(key)
    state = ROW_STATES.get(row.status, JobState.PENDING)
    job = Job(id=key, media_key=key, name=names[0][0] if names else key, state=state,
              progress=Progress(STATE_PERCENT[state], duration_s=row.duration_s),
              error=(row.error or "the file failed") if state == JobState.FAILED else None,
              created_at=created_at, updated_at=updated_at,
              fingerprints=sealed_fingerprints(service, key), settings=service.defaults)
    return service.with_outputs(job)
