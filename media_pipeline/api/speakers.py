"""``/api/jobs/{id}/speakers``: a job's speakers, and the names the user gives them.

``PUT`` stores the names (``{"Speaker 1": "Alice"}``) and queues a run that writes the
files again; recognition and diarization do not run again (the names enter only the
exports' fingerprints).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, status
from pydantic import BaseModel, Field

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.jobs import ERRORS, job_or_404
from media_pipeline.jobs.model import Job
from media_pipeline.library.speaker_names import MAX_NAME_CHARS, SpeakerNameStore
from media_pipeline.stages.speakers import read_turns

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
State = Annotated[AppState, Depends(get_state)]
MAX_SPEAKERS = 64


class SpeakerOut(BaseModel):
    label: str = Field(description='The diarization\'s label ("Speaker 1", in order of first '
                                   "appearance)")
    name: str = Field(description="The name the files show (the label until renamed)")


def _labels(state: AppState, job: Job) -> list[str]:
    fingerprint = job.fingerprints.get("speakers")
    store = state.jobs.storage.artifacts
    if not fingerprint or store.manifest(job.media_key, "speakers", fingerprint) is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"job {job.id} has no speakers yet: "
                            "they are known once it has completed")
    turns = read_turns(store.find(job.media_key, "speakers", fingerprint, "speakers"))
    return list(dict.fromkeys(speaker for _, _, speaker in turns))


def _listing(state: AppState, job: Job) -> list[dict[str, Any]]:
    names = SpeakerNameStore(state.jobs.library).names(job.media_key)
    return [{"label": label, "name": names.get(label, label)} for label in _labels(state, job)]


@router.get("/{job_id}/speakers", response_model=list[SpeakerOut], responses=ERRORS)
def get_speakers(job_id: str, state: State) -> list[dict[str, Any]]:
    """The job's speakers in order of first appearance, with their names."""
    return _listing(state, job_or_404(state, job_id))


@router.put("/{job_id}/speakers", response_model=list[SpeakerOut],
            responses={**ERRORS, 400: {"description": "An unknown label or an empty name"}})
def put_speakers(job_id: str, state: State, names: Annotated[dict[str, str], Body(
        examples=[{"Speaker 1": "Alice"}], description=(
            f"Label → name (at most {MAX_NAME_CHARS} characters); a name equal to its "
            "label forgets the name"))]) -> list[dict[str, Any]]:
    """Name the job's speakers; a run then writes every file with the names."""
    job = job_or_404(state, job_id)
    labels = _labels(state, job)
    unknown = [label for label in names if label not in labels]
    if unknown or len(names) > MAX_SPEAKERS:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            f"unknown speaker label(s); this job has: {', '.join(labels)}")
    before = SpeakerNameStore(state.jobs.library).names(job.media_key)
    after = SpeakerNameStore(state.jobs.library).set(job.media_key, names)
    if after != before:  # the exports' fingerprints changed: re-export
        state.jobs.request_export(job)
    return _listing(state, job)
