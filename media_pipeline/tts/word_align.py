"""Maps written words to spoken (phoneme) words, so phoneme timings become word timings.

espeak-ng does not speak word for word: "of the" becomes one phoneme word, "1990" becomes
two, "e.g." is read "for example". Each written word is therefore phonemized on its own and a
length-banded dynamic programme (in the spirit of Gale–Church alignment) groups written and
spoken words 1:1, 1:n, n:1, 1:0 or 0:1 at the least phoneme edit distance. Pure: no piper here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

_IGNORED = frozenset("ˈˌːˑ")
_MERGE_PENALTY = 0.5
_BAND = 12
# (written, spoken) group sizes the programme may use.
_STEPS: tuple[tuple[int, int], ...] = (
    (1, 1), (1, 2), (2, 1), (1, 3), (3, 1), (1, 4), (4, 1), (1, 5), (1, 6), (2, 2), (1, 0), (0, 1),
)  # fmt: skip


@dataclass(frozen=True)
class SpokenWord:
    """A run of phonemes between spaces, and the samples it covers."""

    phonemes: str
    start_sample: int
    end_sample: int


def normalize_phonemes(phonemes: str) -> str:
    """Phoneme letters only: stress, length marks, spaces and punctuation removed."""
    return "".join(ch for ch in phonemes if ch.isalpha() and ch not in _IGNORED)


def _edit_distance(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a or not b:
        return len(a) + len(b)
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _best_path(expected: Sequence[str], spoken: Sequence[str]) -> list[tuple[int, int]]:
    n, m = len(expected), len(spoken)
    inf = float("inf")
    cost = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    slope = m / n if n else 0.0
    for i in range(n + 1):
        centre = round(i * slope)
        for j in range(max(0, centre - _BAND), min(m, centre + _BAND) + 1):
            here = cost[i][j]
            if here == inf:
                continue
            for a, b in _steps_from(i, j, n, m):
                group_e = "".join(expected[i : i + a])
                group_s = "".join(spoken[j : j + b])
                # A written word with no phonemes (a stray symbol) is naturally unspoken.
                natural = (a, b) == (1, 1) or (b == 0 and not group_e)
                penalty = 0.0 if natural else _MERGE_PENALTY
                step = _edit_distance(group_e, group_s) + penalty
                if here + step < cost[i + a][j + b]:
                    cost[i + a][j + b] = here + step
                    back[i + a][j + b] = (a, b)
    if cost[n][m] == inf:
        raise ValueError("written and spoken words could not be aligned")
    path: list[tuple[int, int]] = []
    i, j = n, m
    while i or j:
        a, b = back[i][j]
        path.append((a, b))
        i, j = i - a, j - b
    return path[::-1]


def _steps_from(i: int, j: int, n: int, m: int) -> list[tuple[int, int]]:
    return [(a, b) for a, b in _STEPS if i + a <= n and j + b <= m]


def align_words(expected: Sequence[str], spoken: Sequence[SpokenWord]) -> list[tuple[int, int]]:
    """(start_sample, end_sample) for each written word, given its own phonemization.

    Written words grouped with several spoken words span them all; several written words on
    one spoken word share it in proportion to their phoneme counts; an unspoken written word
    gets an empty span where it stands. Spans are monotonic.
    """
    norm_expected = [normalize_phonemes(e) for e in expected]
    if not spoken:
        return [(0, 0)] * len(expected)
    path = _best_path(norm_expected, [normalize_phonemes(s.phonemes) for s in spoken])
    spans: list[tuple[int, int]] = []
    i = j = 0
    cursor = spoken[0].start_sample
    for a, b in path:
        if b == 0:
            spans.extend([(cursor, cursor)] * a)
        elif a:
            start, end = spoken[j].start_sample, spoken[j + b - 1].end_sample
            weights = [len(e) for e in norm_expected[i : i + a]]
            if not any(weights):
                weights = [1] * a
            total, done = sum(weights), 0
            for weight in weights:
                left = start + (end - start) * done // total
                done += weight
                spans.append((left, start + (end - start) * done // total))
            cursor = end
        else:
            cursor = spoken[j + b - 1].end_sample
        i, j = i + a, j + b
    return spans
