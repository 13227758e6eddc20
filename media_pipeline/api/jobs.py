"""``/api/jobs``: create (upload or library path), list, read, download, cancel, edit,
review and revert cleanup."""

import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.schemas import (
    CleanupChangeOut,
    CleanupSelection,
    ErrorOut,
    JobFromPath,
    JobOptionsIn,
    JobOut,
    SegmentOut,
    SegmentPatch,
)
from media_pipeline.api.uploads import (
    check_content_length,
    discard,
    resolve_library_path,
    save_upload,
)
from media_pipeline.api.validation import JSONRoute, parse_json
from media_pipeline.jobs.model import API_SETTING_TYPES, Job, JobOptions, valid_job_id
from media_pipeline.jobs.service import Created
from media_pipeline.library.edits import EditState
from media_pipeline.store.paths import DataRoot

# JSONRoute: bodies with NaN, Infinity or deep nesting are a 4xx, not a 500.
router = APIRouter(prefix="/api/jobs", tags=["jobs"], route_class=JSONRoute)
State = Annotated[AppState, Depends(get_state)]

MEDIA_TYPES = {"srt": "application/x-subrip", "vtt": "text/vtt", "ass": "text/x-ssa",
               "lrc": "text/plain", "txt": "text/plain"}
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such job"},
    409: {"model": ErrorOut, "description": "The job is not in a state that allows this"},
}

_OPTION_FIELDS = tuple(JobOptionsIn.model_fields)


def _form_property(schema: dict[str, Any]) -> dict[str, Any]:
    """An option's multipart field: its type without ``null`` (a field left out is null)."""
    kinds = [k for k in schema.get("anyOf", [schema]) if k.get("type") != "null"]
    return {**kinds[0], **{k: schema[k] for k in ("description", "default") if k in schema}}


_CREATE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           **{k: _form_property(v) for k, v in
                              JobOptionsIn.model_json_schema()["properties"].items()}}}},
        "application/json": {"schema": JobFromPath.model_json_schema()},
    },
}


def job_or_404(state: AppState, job_id: str) -> Job:
    """The job (or, for a media key, the library's file: see ``JobService.find``); 404."""
    if not valid_job_id(job_id):  # not echoed: it can be anything the URL holds
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such job")
    job = state.jobs.find(job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id}")
    return job


def library_root(state: AppState) -> Path:
    """Where ``{"path": …}`` jobs may read from: MEDIA_PIPELINE_LIBRARY_ROOT or <data>/library."""
    return state.runtime.library_root or DataRoot.of(state.runtime).default_library_root


def _form_options(form: Any) -> JobOptions:
    """The options of a multipart form: text that pydantic turns into each option's type
    ("true", "5", "0.5"); a blank number or yes/no field counts as not given."""
    raw = {k: v for k in _OPTION_FIELDS if isinstance(v := form.get(k), str)
           and (v.strip() or API_SETTING_TYPES.get(k, str) is str)}
    try:
        return JobOptionsIn(**raw).to_options()
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _first_error(exc)) from exc


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ()))
    message = error.get("msg", "invalid option")
    return f"{where}: {message}" if where else message


def _json_error(exc: ValueError) -> str:
    """What is wrong with a JSON body: an option's value, else its shape."""
    if isinstance(exc, ValidationError):
        loc = exc.errors()[0].get("loc", ())
        if loc and loc[0] in _OPTION_FIELDS:
            return _first_error(exc)
    return "send multipart 'file', or JSON {\"path\": …}"


def _job_from_path(raw: bytes) -> JobFromPath:
    """A JSON ``{"path": …}`` body; 422 (or 400 for deep nesting) when it is not one."""
    try:
        data = parse_json(raw or b"{}")
    except HTTPException as exc:
        if exc.status_code != status.HTTP_422_UNPROCESSABLE_CONTENT:
            raise
        raise HTTPException(exc.status_code, "send multipart 'file', or JSON {\"path\": …}; "
                            f"{exc.detail}") from None
    try:
        return JobFromPath.model_validate(data)
    except ValueError as exc:  # a ValidationError
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _json_error(exc)) from None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobOut,
             openapi_extra={"requestBody": _CREATE_BODY},
             responses={200: {"model": JobOut, "description": "The same content with the same "
                                                              "options: that existing job"},
                        413: {"model": ErrorOut, "description": "Upload over the size limit"},
                        415: {"model": ErrorOut, "description": "Not audio or video"},
                        422: {"model": ErrorOut, "description": "Invalid options"},
                        429: {"model": ErrorOut, "description": "MAX_PENDING_MEDIA_JOBS jobs "
                                                                "already wait (Retry-After)"}})
async def create_job(request: Request, state: State) -> JSONResponse:
    """Create a job from a multipart upload (field ``file``) or JSON ``{"path": …}``.

    201 with the new job; 200 with the existing job when the same content was already
    processed (or is being processed) with the same options; 429 with ``Retry-After`` when
    MAX_PENDING_MEDIA_JOBS jobs already wait, and then nothing is stored.
    """
    limit = state.runtime.max_upload_mb << 20
    content_type = request.headers.get("content-type", "")
    temp = None
    try:
        if content_type.startswith("multipart/form-data"):
            length = request.headers.get("content-length")
            if length is None:  # a bounded upload needs its size up front
                raise HTTPException(status.HTTP_411_LENGTH_REQUIRED, "send Content-Length")
            check_content_length(length, limit)
            form = await request.form(max_files=1, max_fields=len(_OPTION_FIELDS) + 2)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                    "send the media file in the multipart field 'file'")
            options = _form_options(form)
            temp = await save_upload(upload, state.runtime.data_dir, limit)
            name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
            created = await run_in_threadpool(state.jobs.create, temp, name, options)
        else:
            body = _job_from_path(await request.body())
            root = library_root(state)
            path = resolve_library_path(body.path, root)
            options = body.to_options()
            created = await run_in_threadpool(state.jobs.create, path, path.name, options,
                                              None, path)
    finally:
        discard(temp)
    return _created_response(created)


def _created_response(created: Created) -> JSONResponse:
    code = status.HTTP_201_CREATED if created.created else status.HTTP_200_OK
    headers = {"Location": f"/api/jobs/{created.job.id}"}
    return JSONResponse(created.job.to_json(), status_code=code, headers=headers)


@router.get("", response_model=list[JobOut])
def list_jobs(state: State, limit: int = 500) -> list[dict[str, Any]]:
    """Jobs in the instance, newest first (finished ones beyond MAX_FINISHED_JOBS are pruned)."""
    return [j.to_json() for j in state.jobs.all(limit=max(1, min(limit, 5000)))]


@router.get("/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: str, state: State) -> dict[str, Any]:
    return job_or_404(state, job_id).to_json()


@router.get("/{job_id}/subtitles/{fmt}", response_class=FileResponse, responses=ERRORS)
def get_subtitles(job_id: str, fmt: str, state: State) -> FileResponse:
    """The job's subtitles in one of the formats listed in its ``outputs`` (srt, vtt, ass…)."""
    job = job_or_404(state, job_id)
    path = state.jobs.subtitle_path(job, fmt) if fmt.isalnum() and len(fmt) <= 8 else None
    if path is None or not path.exists():
        known = ", ".join(job.outputs) or "none yet"
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"job {job.id} ({job.state.value}) has no {fmt[:8]!r} file; "
                            f"formats: {known}")
    media_type = MEDIA_TYPES.get(fmt, "text/plain")
    return FileResponse(path, media_type=f"{media_type}; charset=utf-8",
                        filename=path.name, headers={"Cache-Control": "no-store"})


@router.post("/{job_id}/cancel", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED,
             responses={**ERRORS, 200: {"model": JobOut, "description": "Already finished"}})
def cancel_job(job_id: str, state: State, response: Response) -> dict[str, Any]:
    """Cancel: a queued run at once, a running one is terminated (killed after a grace time).

    202 while cancelling; 200 with the job unchanged when it had already finished.
    """
    job = job_or_404(state, job_id)
    if job.state.finished:
        response.status_code = status.HTTP_200_OK
        return job.to_json()
    return state.jobs.cancel(job_id).to_json()


def segment_list(edit: EditState, response: Response) -> list[dict[str, Any]]:
    """The segments of ``edit``, with its undo/redo depths and version as headers."""
    response.headers["X-Undo-Depth"] = str(edit.undo_depth)
    response.headers["X-Redo-Depth"] = str(edit.redo_depth)
    response.headers["X-Edit-Version"] = str(edit.version)
    return [s.to_json() for s in edit.segments]


def media_duration_ms(state: AppState, job: Job) -> int | None:
    """How long the job's media is, in ms: the probe of its ``source_media`` (decoded, not
    what a header claims), else its library row; None when neither is known."""
    fp = job.fingerprints.get("source_media")
    manifest = state.jobs.storage.artifacts.manifest(job.media_key, "source_media",
                                                     fp) if fp else None
    seconds = manifest["info"].get("duration_s") if manifest else None
    if seconds is None:
        row = state.library.get(job.media_key)
        seconds = row.duration_s if row is not None else None
    try:
        value = float(seconds) if seconds is not None else math.nan
    except (TypeError, ValueError):
        return None
    return round(value * 1000) if math.isfinite(value) and value > 0 else None


def check_times(changes: dict[str, Any], duration_ms: int | None) -> None:
    """422 unless the edit's times lie within the media (0 <= start < end <= duration)."""
    if duration_ms is None:
        return  # the edit store still holds times within what the formats can write
    start, end = changes.get("start_ms"), changes.get("end_ms")
    if start is not None and start >= duration_ms:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"start_ms must be before the end of the media ({duration_ms} ms)")
    if end is not None and end > duration_ms:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"end_ms must be at most the media's duration ({duration_ms} ms)")


@router.get("/{job_id}/segments", response_model=list[SegmentOut], responses=ERRORS)
def get_segments(job_id: str, state: State, response: Response) -> list[dict[str, Any]]:
    """The job's cues with edits applied (headers: X-Undo-Depth, X-Redo-Depth)."""
    return segment_list(state.jobs.segments(job_or_404(state, job_id)), response)


@router.patch("/{job_id}/segments/{segment_id}", response_model=SegmentOut,
              responses={**ERRORS, 422: {"model": ErrorOut}})
def patch_segment(job_id: str, segment_id: int, patch: SegmentPatch, state: State,
                  response: Response) -> dict[str, Any]:
    """Change a segment's text and/or times; the subtitle files are exported again.

    Times are whole milliseconds with 0 <= start_ms < end_ms <= the media's duration; text
    may hold line breaks and tabs, no other control character. Anything else is a 422.
    """
    changes = patch.model_dump(exclude_none=True)
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "send at least one of text, start_ms, end_ms")
    job = job_or_404(state, job_id)
    check_times(changes, media_duration_ms(state, job))
    edit = state.jobs.edit(job, segment_id, **changes)
    segment_list(edit, response)
    return edit.segments[segment_id - 1].to_json()


@router.post("/{job_id}/undo", response_model=list[SegmentOut], responses=ERRORS)
def undo(job_id: str, state: State, response: Response) -> list[dict[str, Any]]:
    """Undo the last edit (at most 50 are kept); 409 when there is nothing to undo."""
    return segment_list(state.jobs.undo(job_or_404(state, job_id)), response)


@router.post("/{job_id}/redo", response_model=list[SegmentOut], responses=ERRORS)
def redo(job_id: str, state: State, response: Response) -> list[dict[str, Any]]:
    """Redo the last undone edit (a new edit clears them); 409 when there is none."""
    return segment_list(state.jobs.redo(job_or_404(state, job_id)), response)


@router.get("/{job_id}/cleanup", response_model=list[CleanupChangeOut], responses=ERRORS)
def get_cleanup(job_id: str, state: State) -> list[dict[str, Any]]:
    """Every change cleanup made to the job's transcript, in time order, with its state."""
    return state.jobs.cleanup_changes(job_or_404(state, job_id))


def _revert(job_id: str, state: State, chosen: CleanupSelection,
            restore: bool) -> list[dict[str, Any]]:
    return state.jobs.revert_cleanup(job_or_404(state, job_id), chosen.ids, chosen.all,
                                     chosen.kind, restore=restore)


@router.post("/{job_id}/cleanup/revert", response_model=list[CleanupChangeOut],
             responses={**ERRORS, 422: {"model": ErrorOut}})
def revert_cleanup(job_id: str, chosen: CleanupSelection, state: State) -> list[dict[str, Any]]:
    """Bring back the original words of these changes; a run makes the subtitles again."""
    return _revert(job_id, state, chosen, restore=False)


@router.post("/{job_id}/cleanup/restore", response_model=list[CleanupChangeOut],
             responses={**ERRORS, 422: {"model": ErrorOut}})
def restore_cleanup(job_id: str, chosen: CleanupSelection, state: State) -> list[dict[str, Any]]:
    """Apply reverted changes again; a run makes the subtitles again."""
    return _revert(job_id, state, chosen, restore=True)
