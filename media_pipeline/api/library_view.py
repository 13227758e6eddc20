"""``GET /api/library``: every media file the library holds, with its job's live state.

The library (DuckDB) knows every file processed here, whatever brought it (upload, inbox,
``process``, a media server); API jobs add their live state, and the jobs whose file is
not in the library yet. Newest first.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.jobs.model import Job

router = APIRouter(prefix="/api/library", tags=["library"])
State = Annotated[AppState, Depends(get_state)]
ROWS_SQL = """
SELECT m.key, m.status, m.error, m.duration_s, m.language, m.model, epoch(m.updated),
       (SELECT n.name FROM media_names n WHERE n.key = m.key
        ORDER BY n.first_seen, n.path LIMIT 1)
FROM media m
"""


class LibraryItemOut(BaseModel):
    media_key: str
    job_id: str = Field(description="For GET /api/jobs/{job_id} and the editor's routes: "
                                    "the newest API job of the file, else its media key")
    name: str = Field(description="The name the file was first seen under")
    duration_s: float | None
    language: str | None
    model: str | None
    status: str = Field(description="The job's state when it has an API job (pending, "
                                    "preprocessing, transcribing, refining, exporting, "
                                    "rendering_preview, completed, failed, cancelled), "
                                    "else the library's: pending, completed, failed, skipped")
    error: str | None = Field(description="One line: why the file failed")
    updated_at: float = Field(description="Last change, seconds since the epoch")


def _item(row: tuple[Any, ...]) -> dict[str, Any]:
    key, status, error, duration, language, model, updated, name = row
    return {"media_key": key, "job_id": key, "name": name or key, "duration_s": duration,
            "language": language, "model": model, "status": status,
            "error": error if status == "failed" else None,
            "updated_at": float(updated or 0.0)}


def _with_job(item: dict[str, Any] | None, job: Job) -> dict[str, Any]:
    """The library's item with the live state of its newest API job."""
    settings = job.settings
    base = item or {"media_key": job.media_key, "name": job.name, "duration_s": None,
                    "language": None, "model": None, "updated_at": 0.0}
    return {**base, "job_id": job.id, "status": job.state.value,
            "name": base["name"] or job.name,
            "duration_s": base["duration_s"] or job.progress.duration_s,
            "model": base["model"] or (settings.model if settings else None),
            "error": job.error if job.state.value == "failed" else None,
            "updated_at": max(float(base["updated_at"]), job.updated_at)}


def library_items(state: AppState) -> list[dict[str, Any]]:
    """Every library file and API job, one item per media file, newest first."""
    items = {row[0]: _item(row) for row in state.library.query(ROWS_SQL, [])}
    seen: set[str] = set()
    for job in state.jobs.all():  # newest first: the first job of a file is its newest
        if job.media_key not in seen:
            seen.add(job.media_key)
            items[job.media_key] = _with_job(items.get(job.media_key), job)
    return sorted(items.values(), key=lambda i: (-i["updated_at"], i["media_key"]))


def _matches(item: dict[str, Any], status: str | None, language: str | None,
             q: str | None) -> bool:
    if status and item["status"] != status:
        return False
    if language and (item["language"] or "").lower() != language.lower():
        return False
    words = (q or "").lower().split()
    text = f"{item['name']} {item['media_key']}".lower()
    return all(word in text for word in words)


@router.get("", response_model=list[LibraryItemOut])
async def list_library(
        state: State,
        status: Annotated[str | None, Query(max_length=32, description="Only this status")]
        = None,
        language: Annotated[str | None, Query(max_length=16, description="Only this "
                                              "language code (en, pt-BR…)")] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words the name (or "
                                       "media key) holds; /api/search finds spoken words")]
        = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> list[dict[str, Any]]:
    """Every media file (library and API jobs), newest first, filtered."""
    items = await run_in_threadpool(library_items, state)
    return [i for i in items if _matches(i, status, language, q)][:limit]
