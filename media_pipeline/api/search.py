"""``/api/search``: where words are said in the library's subtitles."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from media_pipeline.api.deps import get_library
from media_pipeline.library.db import Library
from media_pipeline.library.search import search_library

router = APIRouter(prefix="/api/search", tags=["library"])


class SearchHitOut(BaseModel):
    key: str = Field(description="Media key (the job id of a job with default options)")
    name: str = Field(description="The name the file was first seen under")
    start_ms: int = Field(description="Start of the cue the match begins in")
    end_ms: int
    text: str = Field(description="That cue's text, line breaks as spaces")
    speaker: str = Field("", description="Who says that cue (empty without speakers)")


@router.get("", response_model=list[SearchHitOut])
def search(library: Annotated[Library, Depends(get_library)],
           q: Annotated[str, Query(min_length=1, max_length=500,
                                   description="Words to find (case and line breaks ignored)")],
           limit: Annotated[int, Query(ge=1, le=1000)] = 50,
           speaker: Annotated[str | None, Query(max_length=80, description=(
               "Only cues this speaker says (label or given name)"))] = None,
           ) -> list[dict[str, Any]]:
    """Cues of completed media where ``q`` is said, oldest media first."""
    return [hit.to_json() for hit in search_library(library, q, limit, speaker)]
