"""Find where words are said across the whole library: the cue each match starts in.

Matching ignores case and how whitespace and line breaks fall, so a phrase split over two
lines or two cues is still found. The database narrows the files (one query over the
transcripts of completed media); the cues of those files are then searched here.
"""

import bisect
from dataclasses import asdict, dataclass
from typing import Any

from media_pipeline.errors import ConfigurationError
from media_pipeline.library.db import Library


@dataclass(frozen=True)
class SearchHit:
    """One match: the media, the name it was first seen under, and the cue it starts in."""

    key: str
    name: str
    start_ms: int
    end_ms: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _folded(text: str) -> str:
    return " ".join(text.split()).lower()


def search_library(library: Library, query: str, limit: int = 50) -> list[SearchHit]:
    """Cues where ``query`` is said, oldest media first, at most ``limit``."""
    needle = _folded(query)
    if not needle:
        raise ConfigurationError("say what to search for")
    keys = [k for (k,) in library.query(
        "SELECT key FROM media WHERE status = 'completed' AND contains("
        "regexp_replace(lower(search_text), '\\s+', ' ', 'g'), ?) ORDER BY first_seen, key",
        [needle])]
    hits: list[SearchHit] = []
    for key in keys:
        cues = library.cues(key)
        starts: list[int] = []
        joined = ""
        for _, _, text in cues:
            starts.append(len(joined))
            joined += _folded(text) + " "
        names = library.names(key)
        name = names[0][0] if names else key
        at = joined.find(needle)
        while at >= 0 and len(hits) < limit:
            start, end, text = cues[bisect.bisect_right(starts, at) - 1]
            hits.append(SearchHit(key, name, start, end, " ".join(text.split())))
            at = joined.find(needle, at + 1)
        if len(hits) >= limit:
            break
    return hits
