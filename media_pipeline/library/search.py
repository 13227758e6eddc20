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
    speaker: str = ""
    """Who says that cue ("" when the media has no speakers)."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _folded(text: str) -> str:
    return " ".join(text.split()).lower()


def search_library(library: Library, query: str, limit: int = 50,
                   speaker: str | None = None) -> list[SearchHit]:
    """Cues where ``query`` is said, oldest media first, at most ``limit``; with ``speaker``
    (a label or the name given to it, case ignored) only the cues that speaker says."""
    needle = _folded(query)
    who = _folded(speaker or "")
    if not needle:
        raise ConfigurationError("say what to search for")
    keys = [k for (k,) in library.query(
        "SELECT key FROM media WHERE status = 'completed' AND contains("
        "regexp_replace(lower(search_text), '\\s+', ' ', 'g'), ?) ORDER BY first_seen, key",
        [needle])]
    hits: list[SearchHit] = []
    for key in keys:
        cues = library.cues(key)
        speakers = library.cue_speakers(key)
        starts: list[int] = []
        joined = ""
        for _, _, text in cues:
            starts.append(len(joined))
            joined += _folded(text) + " "
        names = library.names(key)
        name = names[0][0] if names else key
        at = joined.find(needle)
        while at >= 0 and len(hits) < limit:
            index = bisect.bisect_right(starts, at) - 1
            start, end, text = cues[index]
            said_by = speakers[index] if index < len(speakers) else ""
            if not who or _folded(said_by) == who:
                hits.append(SearchHit(key, name, start, end, " ".join(text.split()), said_by))
            at = joined.find(needle, at + 1)
        if len(hits) >= limit:
            break
    return hits
