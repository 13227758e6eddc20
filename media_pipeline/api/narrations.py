"""``/api/narrations``: text to speech jobs (seed 003) on the same app as the subtitle jobs.

POST creates (or finds: the same request is one narration) a job and starts it: through the
app's run submitter (the instance's queue, the daemon launches it) when the app has one,
else on a worker thread in this process. GET returns the job with per-chunk progress, its
MP3, or its timing data.
"""

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from media_pipeline.api.deps import AppState, get_state, require_token
from media_pipeline.jobs.narration_events import NarrationWatcher
from media_pipeline.jobs.narration_service import NarrationService
from media_pipeline.partitions import NARRATION_JOB, PARTITION_TAG
from media_pipeline.settings import narration_settings_from_env

EXTRAS_KEY = "narrations"
WATCHER_KEY = "narration_watcher"
"""``AppState.extras`` key of the app's :class:`NarrationWatcher` (the SSE events)."""
_lock = threading.Lock()
SUBTITLE_TYPES = {"srt": "application/x-subrip", "vtt": "text/vtt"}

router = APIRouter(prefix="/api/narrations", tags=["narrations"],
                   dependencies=[Depends(require_token)])


class NarrationRequestBody(BaseModel):
    """``POST /api/narrations``: what to say and how (defaults come from the settings)."""

    text: str = Field(min_length=1, description="The text to narrate")
    voice: str | None = Field(default=None, description="Voice id (default: provider's first)")
    speed: float | None = Field(default=None, gt=0, description="1.0 is the voice's own rate")
    provider: str | None = Field(default=None, description="TTS provider (default: piper)")


def get_narrations(request: Request) -> NarrationService:
    """The app's narration service, made on first use and kept in ``AppState.extras``."""
    return narrations_of(get_state(request))


def narrations_of(state: AppState) -> NarrationService:
    """:func:`get_narrations` for code that holds the app's state (the event watcher)."""
    with _lock:
        service = state.extras.get(EXTRAS_KEY)
        if service is None:
            submitter = getattr(getattr(state, "jobs", None), "submitter", None)
            launch = None
            if submitter is not None:
                def launch(key: str) -> None:
                    submitter.submit(NARRATION_JOB, tags={PARTITION_TAG: key})
            service = NarrationService(state.runtime, narration_settings_from_env(),
                                       launch=launch)
            state.extras[EXTRAS_KEY] = service
    assert isinstance(service, NarrationService)
    return service


Service = Annotated[NarrationService, Depends(get_narrations)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_narration(body: NarrationRequestBody, response: Response,
                     narrations: Service, request: Request) -> dict[str, Any]:
    """Create a narration job (201), or return the existing one for the same request (200)."""
    state = get_state(request)
    job, created = narrations.create(body.text, body.voice, body.speed, body.provider)
    if not created:
        response.status_code = status.HTTP_200_OK
    elif isinstance(watcher := state.extras.get(WATCHER_KEY), NarrationWatcher):
        watcher.announce(job)
    response.headers["Location"] = f"{router.prefix}/{job.id}"
    return job.to_json()


@router.get("")
def list_narrations(narrations: Service) -> list[dict[str, Any]]:
    """Every narration still kept, with its status."""
    return [job.to_json() for job in narrations.jobs.list_jobs()]


@router.get("/{narration_id}")
def get_narration(narration_id: str, narrations: Service) -> dict[str, Any]:
    """Status, progress (completed_chunks / total_chunks), error and outputs of one job."""
    return narrations.jobs.get_job_status(narration_id).to_json()


@router.get("/{narration_id}/audio", response_class=FileResponse)
def get_narration_audio(narration_id: str, narrations: Service) -> FileResponse:
    """The narration's MP3 (409 until it is completed)."""
    path = narrations.jobs.get_audio_file_path(narration_id)
    return FileResponse(path, media_type="audio/mpeg", filename=f"{narration_id}.mp3")


@router.get("/{narration_id}/metadata")
def get_narration_metadata(narration_id: str, narrations: Service) -> dict[str, Any]:
    """Duration, sample rate and word (or sentence) timings on the MP3's timeline."""
    return narrations.jobs.get_audio_metadata(narration_id)


@router.get("/{narration_id}/subtitles/{fmt}", response_class=FileResponse,
            responses={200: {"content": {"application/x-subrip": {}, "text/vtt": {}},
                             "description": "The narration's text timed to its MP3"},
                       404: {"description": "No such narration or format (srt, vtt)"},
                       409: {"description": "Not completed yet"}})
def get_narration_subtitles(narration_id: str, fmt: str, narrations: Service) -> FileResponse:
    """The narration's subtitles, ``srt`` or ``vtt`` (409 until it is completed)."""
    narrations.jobs.get_audio_file_path(narration_id)  # 404 unknown, 409 not completed
    path = narrations.jobs.outputs(narration_id).get(fmt) if fmt in SUBTITLE_TYPES else None
    if path is None or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "formats: srt, vtt")
    return FileResponse(path, media_type=f"{SUBTITLE_TYPES[fmt]}; charset=utf-8",
                        filename=f"{narration_id}.{fmt}")
