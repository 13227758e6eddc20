"""Anchor pairs between lyric words and recognised words (both already normalised).

:func:`align_dp` is a global alignment (Needleman–Wunsch) of the recognised words to the
lyric words. A pair scores ``2·s − 1`` where ``s`` is the normalised edit similarity of the
two words (accents, case and punctuation folded), so a misrecognised word still pairs
with the word it stands for when nothing better is near; one lyric word may pair with two
or three recognised words ("fantasma" ~ "fan tasma") and two lyric words with one ("si
mismo" ~ "sinismo"). Leaving a lyric word unpaired (a line the recogniser missed) or a
recognised word unpaired (a hallucination, an ad-lib, a chorus sung more often than
written) costs a fixed gap penalty, so skipped lines and repeated choruses cost only their
own words and never pull the rest of the song out of place.

:func:`align_greedy` is the seed's greedy matcher, kept as the baseline: each lyric word in
turn takes the first recognised word within the next few that is similar enough.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Score of a cell no path reaches (outside the band): loses to every real move.
_UNREACHED = -1e18


@dataclass(frozen=True)
class Anchor:
    """Lyric words ``lyric[0]:lyric[1]`` paired with recognised words ``rec[0]:rec[1]``."""

    lyric: tuple[int, int]
    rec: tuple[int, int]
    similarity: float


@dataclass(frozen=True)
class DpOptions:
    """Scores of the global alignment."""

    gap_lyric: float = 0.4
    """Cost of a lyric word no recognised word pairs with."""
    gap_rec: float = 0.4
    """Cost of a recognised word paired with no lyric word."""
    merge: float = 0.15
    """Extra cost of pairing one word with two or three."""
    anchor_min: float = 0.34
    """Pairs less similar than this give no time (their words are spread instead)."""
    band: int = 4000
    """Widest diagonal band searched (bounds the cost on very long inputs)."""


@dataclass(frozen=True)
class _PairSims:
    """Similarities of every pairing shape the alignment may take."""

    one: np.ndarray
    """Lyric word ``i`` vs recognised word ``j``."""
    two: np.ndarray
    """Lyric word ``i`` vs recognised words ``j, j+1`` joined."""
    three: np.ndarray
    """Lyric word ``i`` vs recognised words ``j..j+2`` joined."""
    merged: np.ndarray
    """Lyric words ``i, i+1`` joined vs recognised word ``j``."""


def _similarities(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """Matrix of normalised edit similarities (0..1) between every ``a`` and ``b`` word."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    if not a or not b:
        return np.zeros((len(a), len(b)))
    sims: np.ndarray = cdist(list(a), list(b), scorer=Levenshtein.normalized_similarity,
                             dtype=np.float32, workers=1)
    empty_a = np.array([not x for x in a])
    empty_b = np.array([not x for x in b])
    sims[empty_a, :] = 0.0
    sims[:, empty_b] = 0.0
    return sims.astype(np.float64)


def _joined(words: Sequence[str], k: int) -> list[str]:
    """Every run of ``k`` neighbouring words written as one."""
    return ["".join(words[i: i + k]) for i in range(max(0, len(words) - k + 1))]


def _pair_sims(lyric: Sequence[str], rec: Sequence[str]) -> _PairSims:
    return _PairSims(_similarities(lyric, rec), _similarities(lyric, _joined(rec, 2)),
                     _similarities(lyric, _joined(rec, 3)), _similarities(_joined(lyric, 2), rec))


def _fill_table(sims: _PairSims, n: int, m: int, options: DpOptions) -> np.ndarray:
    """The move that wins each prefix pair inside the diagonal band, for the trace-back."""
    # Moves: 1 lyric word unpaired, 2 recognised word unpaired, 3/4/5 one lyric word with
    # 1/2/3 recognised words, 6 two lyric words with one; 0 the start or an unreached cell.
    # Plain locals: this loop runs once per cell, so attribute look-ups would dominate.
    s11, s12, s13, s21 = sims.one, sims.two, sims.three, sims.merged
    score = np.full((n + 1, m + 1), _UNREACHED)
    move = np.zeros((n + 1, m + 1), dtype=np.int8)
    score[0, 0] = 0.0
    gl, gr, merge = options.gap_lyric, options.gap_rec, options.merge
    band = max(options.band, abs(n - m) + 50)
    for i in range(n + 1):
        centre = i * m // n
        lo, hi = max(0, centre - band), min(m, centre + band)
        row, prev = score[i], score[i - 1] if i else None
        for j in range(lo, hi + 1):
            best, how = row[j], 0
            if j and row[j - 1] - gr > best:
                best, how = row[j - 1] - gr, 2
            if prev is not None:
                if prev[j] - gl > best:
                    best, how = prev[j] - gl, 1
                if j:
                    v = prev[j - 1] + 2 * s11[i - 1, j - 1] - 1
                    if v > best:
                        best, how = v, 3
                if j >= 2:
                    v = prev[j - 2] + 2 * s12[i - 1, j - 2] - 1 - merge
                    if v > best:
                        best, how = v, 4
                if j >= 3:
                    v = prev[j - 3] + 2 * s13[i - 1, j - 3] - 1 - 2 * merge
                    if v > best:
                        best, how = v, 5
                if i >= 2 and j:
                    v = score[i - 2, j - 1] + 2 * s21[i - 2, j - 1] - 1 - merge
                    if v > best:
                        best, how = v, 6
            row[j], move[i, j] = best, how
    return move


def _trace_back(move: np.ndarray, sims: _PairSims, n: int, m: int) -> list[Anchor]:
    """Replay the winning moves from the end back to the start; anchors in song order."""
    by_rec_count = (sims.one, sims.two, sims.three)
    anchors: list[Anchor] = []
    i, j = n, m
    while i > 0 or j > 0:
        how = int(move[i, j])
        if how == 1:
            i -= 1
        elif how == 2:
            j -= 1
        elif how in (3, 4, 5):
            k = how - 2
            anchors.append(Anchor((i - 1, i), (j - k, j),
                                  float(by_rec_count[k - 1][i - 1, j - k])))
            i, j = i - 1, j - k
        elif how == 6:
            anchors.append(Anchor((i - 2, i), (j - 1, j), float(sims.merged[i - 2, j - 1])))
            i, j = i - 2, j - 1
        else:  # unreachable cell inside the band's edge: walk back along a gap
            if i > 0:
                i -= 1
            else:
                j -= 1
    anchors.reverse()
    return anchors


def align_dp(lyric: Sequence[str], rec: Sequence[str],
             options: DpOptions = DpOptions()) -> list[Anchor]:
    """Global alignment of lyric words to recognised words (both already normalised)."""
    n, m = len(lyric), len(rec)
    if n == 0 or m == 0:
        return []
    sims = _pair_sims(lyric, rec)
    move = _fill_table(sims, n, m, options)
    return [a for a in _trace_back(move, sims, n, m) if a.similarity >= options.anchor_min]


def align_greedy(lyric: Sequence[str], rec: Sequence[str], window: int = 8,
                 threshold: float = 0.6) -> list[Anchor]:
    """The seed's greedy matcher: each lyric word takes the first similar recognised word
    among the next ``window`` after the last match; unmatched lyric words are skipped."""
    sims = _similarities(lyric, rec)
    anchors: list[Anchor] = []
    cursor = 0
    for i in range(len(lyric)):
        for j in range(cursor, min(len(rec), cursor + window)):
            if sims[i, j] >= threshold:
                anchors.append(Anchor((i, i + 1), (j, j + 1), float(sims[i, j])))
                cursor = j + 1
                break
    return anchors
