"""``/api/jobs/{id}/…`` for the browser's editor: media, waveform, confidence, rule checks
and the burned-in preview. Each answers 404 for an unknown job and 409 (naming the job's
state) until the job has made what is asked for."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.jobs import ERRORS, job_or_404
from media_pipeline.api.schemas import ErrorOut
from media_pipeline.jobs import views
from media_pipeline.jobs.preview import preview_status, request_preview
from media_pipeline.jobs.service import JobConflictError

router = APIRouter(prefix="/api/jobs", tags=["editor"])
State = Annotated[AppState, Depends(get_state)]
RANGE = "Range requests are answered 206 with that part (seek in a player)"


class MediaInfoOut(BaseModel):
    duration_s: float | None = Field(description="Decoded audio's duration")
    has_video: bool
    media_type: str = Field(description="Content-Type of GET /media (audio/… or video/…)")
    language: str | None = Field(description="Spoken (or set) language, once known")
    model: str | None = Field(description="Whisper model of the transcript")
    name: str


class Peaks(BaseModel):
    """audiowaveform's JSON format (BBC), as peaks.js and wavesurfer.js read it."""

    version: int
    channels: int
    sample_rate: int
    samples_per_pixel: int
    bits: int
    length: int = Field(description="Pixels (min/max pairs per channel)")
    data: list[int] = Field(description="min, max, min, max… per pixel")


class SpanOut(BaseModel):
    start_ms: int
    end_ms: int


class WaveformOut(BaseModel):
    peaks: Peaks = Field(description="The waveform.json artifact as stored")
    speech_regions: list[SpanOut] = Field(description="Where voice detection found speech")


class LowWordOut(BaseModel):
    text: str
    start_ms: int
    end_ms: int
    p: float = Field(description="Whisper's word probability")


class LowCueOut(BaseModel):
    index: int = Field(description="0-based position of the cue at the last export "
                                   "(segment_id - 1 while nothing was split or merged since)")
    start_ms: int
    end_ms: int
    text: str
    min_p: float = Field(description="Its least probable word's probability")


class ConfidenceOut(BaseModel):
    """confidence.json of the job's last export: words below ``threshold`` (the
    MIN_WORD_PROBABILITY setting) and the cues holding them, in time order."""

    mean_word_probability: float | None = Field(description="None without words")
    word_count: int
    threshold: float
    low_words: list[LowWordOut]
    low_cues: list[LowCueOut]


class CheckOut(BaseModel):
    segment_id: int = Field(description="The current (edited) segment's id")
    rule: str = Field(description="max_chars_per_line, max_lines, min_duration, "
                                  "max_duration, max_cps or min_gap (an overlap is min_gap)")
    detail: str = Field(description="What was measured against the profile's limit")


class PreviewStateOut(BaseModel):
    state: str = Field(description="none, rendering, ready or failed")
    error: str | None = Field(None, description="Why the render failed")


@router.get("/{job_id}/media", response_class=FileResponse,
            responses={**ERRORS, 200: {"description": "The stored source media",
                                       "content": {"audio/*": {}, "video/*": {}}},
                       206: {"description": RANGE}})
def get_media(job_id: str, state: State) -> FileResponse:
    """The job's source media as stored, with its Content-Type and Range support."""
    path, media_type, _ = views.media(state.jobs, job_or_404(state, job_id))
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/{job_id}/media-info", response_model=MediaInfoOut, responses=ERRORS)
def get_media_info(job_id: str, state: State) -> dict[str, Any]:
    """Duration, picture or not, Content-Type, language and model of the job's media."""
    return views.media_info(state.jobs, job_or_404(state, job_id))


@router.get("/{job_id}/waveform", response_model=WaveformOut, responses=ERRORS)
def get_waveform(job_id: str, state: State) -> dict[str, Any]:
    """Peaks for drawing the waveform, and the speech regions."""
    return views.waveform(state.jobs, job_or_404(state, job_id))


@router.get("/{job_id}/waveform.png", response_class=FileResponse,
            responses={**ERRORS, 200: {"content": {"image/png": {}},
                                       "description": "Waveform with speech and cues"}})
def get_waveform_png(job_id: str, state: State) -> FileResponse:
    """The waveform picture (speech regions and cue spans drawn), as in Dagster's UI."""
    job = job_or_404(state, job_id)
    return FileResponse(views.artifact(state.jobs, job, "waveform", "png"),
                        media_type="image/png", headers={"Cache-Control": "no-cache"})


@router.get("/{job_id}/confidence", response_model=ConfidenceOut, responses=ERRORS)
def get_confidence(job_id: str, state: State) -> dict[str, Any]:
    """The low-confidence words and cues a reviewer should check."""
    return views.confidence(state.jobs, job_or_404(state, job_id))


@router.get("/{job_id}/checks", response_model=list[CheckOut], responses=ERRORS)
def get_checks(job_id: str, state: State) -> list[dict[str, Any]]:
    """Current segments breaking the job's segmentation profile, one entry per rule."""
    return views.checks(state.jobs, job_or_404(state, job_id))


@router.post("/{job_id}/preview", response_model=PreviewStateOut,
             status_code=status.HTTP_202_ACCEPTED,
             responses={**ERRORS, 200: {"model": PreviewStateOut,
                                        "description": "Already ready for these subtitles"}})
async def post_preview(job_id: str, state: State) -> JSONResponse:
    """Render the burned-in MP4 preview of the current subtitles (the first PREVIEW_SECONDS)
    in a run of its own; 202 with ``rendering`` (or where it got to), 200 when ready."""
    job = await run_in_threadpool(job_or_404, state, job_id)
    status_now = await run_in_threadpool(request_preview, state.jobs, job)
    code = status.HTTP_200_OK if status_now.state == "ready" else status.HTTP_202_ACCEPTED
    return JSONResponse(status_now.to_json(), status_code=code)


@router.get("/{job_id}/preview/status", response_model=PreviewStateOut, responses=ERRORS)
def get_preview_status(job_id: str, state: State) -> dict[str, Any]:
    """Whether the preview of the current subtitles is rendering, ready or failed."""
    return preview_status(state.jobs, job_or_404(state, job_id)).to_json()


@router.get("/{job_id}/preview", response_class=FileResponse,
            responses={**ERRORS, 200: {"content": {"video/mp4": {}},
                                       "description": "The preview MP4"},
                       206: {"description": RANGE},
                       409: {"model": ErrorOut, "description": "Not ready: the detail names "
                                                               "the preview's state"}})
def get_preview(job_id: str, state: State) -> FileResponse:
    """The preview MP4 once ready (409 with its state before: none, rendering, failed)."""
    status_now = preview_status(state.jobs, job_or_404(state, job_id))
    if status_now.path is None:
        why = f": {status_now.error}" if status_now.error else ""
        raise JobConflictError(f"no preview ready (state: {status_now.state}){why}")
    return FileResponse(status_now.path, media_type="video/mp4",
                        headers={"Cache-Control": "no-cache"})
