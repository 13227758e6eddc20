"""Word timing error against a human reference: words matched by text in order (LCS)."""

import difflib
import statistics
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from media_pipeline.subtitles.model import Word

#: Above this many cells the exact LCS table is too big; see :func:`align_in_order`.
_MAX_DP_CELLS = 4_000_000


@dataclass(frozen=True)
class TimingErrorReport:
    """Absolute start/end errors (ms) of matched words; None when nothing matched."""

    median_start_ms: int | None
    p90_start_ms: int | None
    median_end_ms: int | None
    p90_end_ms: int | None
    matched: int
    reference_words: int

    def to_dict(self) -> dict[str, int | None]:
        """JSON-ready dict of every field."""
        return {
            "median_start_ms": self.median_start_ms,
            "p90_start_ms": self.p90_start_ms,
            "median_end_ms": self.median_end_ms,
            "p90_end_ms": self.p90_end_ms,
            "matched": self.matched,
            "reference_words": self.reference_words,
        }


def normalize_token(text: str) -> str:
    """Case-folded word characters only, so "I'm," matches "i'm"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def timing_error(
    predicted: Sequence[Word], reference: Sequence[tuple[str, int, int]]
) -> TimingErrorReport:
    """Align words by normalized text in order (LCS) and report start/end error percentiles."""
    pred = [(normalize_token(w.text), w.start_ms, w.end_ms) for w in predicted]
    ref = [(normalize_token(t), s, e) for t, s, e in reference]
    pred = [p for p in pred if p[0]]
    ref = [r for r in ref if r[0]]
    pairs = align_in_order([p[0] for p in pred], [r[0] for r in ref])
    start_err = [abs(pred[i][1] - ref[j][1]) for i, j in pairs]
    end_err = [abs(pred[i][2] - ref[j][2]) for i, j in pairs]
    return TimingErrorReport(
        median_start_ms=_percentile(start_err, 50),
        p90_start_ms=_percentile(start_err, 90),
        median_end_ms=_percentile(end_err, 50),
        p90_end_ms=_percentile(end_err, 90),
        matched=len(pairs),
        reference_words=len(ref),
    )


def _percentile(values: list[int], pct: int) -> int | None:
    if not values:
        return None
    if pct == 50:
        return round(statistics.median(values))
    # Linear interpolation between closest ranks (numpy's default method).
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def align_in_order(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of two token lists."""
    n, m = len(a), len(b)
    if n * m > _MAX_DP_CELLS:
        # The exact table would need gigabytes for hour-long files; difflib's in-order
        # matching blocks are a near-LCS in linear memory.
        matcher = difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)
        return [
            (blk.a + k, blk.b + k) for blk in matcher.get_matching_blocks() for k in range(blk.size)
        ]
    # lengths[i][j] = LCS of a[i:] and b[j:]; filled backwards so the walk runs forwards.
    lengths = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = lengths[i], lengths[i + 1]
        ai = a[i]
        for j in range(m - 1, -1, -1):
            if ai == b[j]:
                row[j] = below[j + 1] + 1
            else:
                row[j] = max(below[j], row[j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs
