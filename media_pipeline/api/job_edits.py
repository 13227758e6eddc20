"""``/api/jobs/{id}/segments/{segment_id}/split`` and ``…/merge``: cue edits that change
how many cues there are. Like ``PATCH``, each is one step of the 50-step undo history and
queues the re-export; the answer is the whole list, as undo and redo give it."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.jobs import ERRORS, job_or_404, segment_list
from media_pipeline.api.schemas import ErrorOut, SegmentOut
from media_pipeline.api.validation import JSONRoute
from media_pipeline.library.edits import MAX_TEXT_CHARS, MAX_TIME_MS, merge_segments, split_segment

router = APIRouter(prefix="/api/jobs", tags=["jobs"], route_class=JSONRoute)
State = Annotated[AppState, Depends(get_state)]
HEADERS = ("Headers X-Undo-Depth, X-Redo-Depth and X-Edit-Version as on GET /segments; "
           "segment ids stay positional (1..n)")
EDIT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 422: {"model": ErrorOut, "description": "Bad offset or time, or no next cue"}}


class SplitIn(BaseModel):
    at_char: int = Field(ge=1, le=MAX_TEXT_CHARS, description="Character offset in the cue's "
                         "text (line breaks count as one): the text from there is the new cue")
    at_ms: int | None = Field(None, ge=0, le=MAX_TIME_MS, description="Where the first cue "
                              "ends and the new one starts; default: in proportion to the "
                              "characters")


@router.post("/{job_id}/segments/{segment_id}/split", response_model=list[SegmentOut],
             responses=EDIT_ERRORS, description="Split a cue at a character offset: the text "
             "before stays, the rest becomes a new cue right after it. " + HEADERS + ".")
def split(job_id: str, segment_id: int, body: SplitIn, state: State,
          response: Response) -> list[dict[str, Any]]:
    """Split a cue in two at ``at_char`` (and ``at_ms``)."""
    job = job_or_404(state, job_id)
    edit = state.jobs.change(job, lambda segments: split_segment(
        segments, segment_id, body.at_char, body.at_ms))
    return segment_list(edit, response)


@router.post("/{job_id}/segments/{segment_id}/merge", response_model=list[SegmentOut],
             responses=EDIT_ERRORS, description="Merge a cue with the next one (their text "
             "joined, from the first start to the last end). " + HEADERS + ".")
def merge(job_id: str, segment_id: int, state: State,
          response: Response) -> list[dict[str, Any]]:
    """Merge a cue with the next one."""
    job = job_or_404(state, job_id)
    return segment_list(state.jobs.change(job, lambda segments: merge_segments(
        segments, segment_id)), response)
