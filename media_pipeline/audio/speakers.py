"""Who speaks when: speaker turns from voice embeddings of short windows, clustered.

Inside each speech region, windows of ``window_s`` seconds every ``hop_s`` seconds are
embedded (one block of at most ``block_s`` seconds of audio in memory at a time, so a
1-hour file costs what a block costs, plus 1 KB per window). Windows are over-clustered by
cosine distance (scikit-learn's agglomerative clustering, average linkage), then clusters
are merged by how alike their centroids are: a centroid of many windows is a steadier voice
print than one window, so with ``speakers=auto`` the number of voices is where no two
large clusters are ``merge_similarity`` alike (one voice stays one); a number fixes it.
Quiet windows do not vote, labels are smoothed over time, and turns shorter than
``min_turn_s`` join a neighbour. Speakers are named "Speaker 1", "Speaker 2", ... in order
of first appearance.
"""

import wave
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from media_pipeline.errors import ConfigurationError

SPEAKER_LABEL = "Speaker {n}"


@dataclass(frozen=True)
class SpeakerTurn:
    """One speaker's stretch of speech on the source timeline."""

    start_s: float
    end_s: float
    speaker: str


@dataclass(frozen=True)
class DiarizeOptions:
    """How windows are cut and clustered; ``speakers`` is None for auto."""

    speakers: int | None = None
    min_speakers: int = 1
    max_speakers: int = 8
    window_s: float = 1.5
    hop_s: float = 0.5
    min_window_s: float = 0.6
    """A region shorter than this gets no window (its words take a neighbour's speaker)."""
    block_s: float = 60.0
    threshold: float = 0.30
    """First pass: windows further apart than this cosine distance (average linkage) start
    in separate clusters; deliberately low, so that one voice may still be split here."""
    merge_similarity: float = 0.76
    """Second pass: two large clusters whose centroids' cosine similarity reaches this are
    one voice (tuned on the corpus: no single-speaker file split, the mixes' voices apart)."""
    min_cluster_windows: int = 6
    """Clusters with fewer windows (about 3 s of speech) are small: noisier centroids."""
    small_merge_similarity: float = 0.625
    """A small cluster this alike its nearest cluster joins it; less alike, it is a voice of
    its own (a speaker who says one sentence)."""
    min_voice_windows: int = 3
    """A cluster of fewer windows (under 2 s of speech) always joins its nearest one."""
    weak_db: float = 6.0
    """Windows this far below the file's median window level do not vote in clustering."""
    min_turn_s: float = 0.8
    max_cluster_windows: int = 2000
    """Longer files cluster an even sample of this many windows (bounded memory)."""


def parse_speakers(value: str) -> int | bool | None:
    """The ``speakers`` setting: False for off, None for auto, else the fixed number."""
    text = value.strip().lower()
    if text in ("off", "0", "false", "no", ""):
        return False
    if text == "auto":
        return None
    if text.isdigit():
        return int(text)
    raise ConfigurationError(f"unknown speakers setting {value!r} (off, auto or a number)")


class Encoder(Protocol):
    """What diarization needs of a speaker encoder (see ``speaker_encoder.SpeakerEncoder``)."""

    def mel_frames(self, samples: np.ndarray) -> np.ndarray: ...
    def embed_frames(self, mel: np.ndarray,
                     spans: Sequence[tuple[int, int]]) -> np.ndarray: ...


Window = tuple[float, float]
"""(start_s, end_s) of one embedded window, on the source timeline."""


def blocks(regions_ms: Sequence[tuple[int, int]], block_s: float) -> Iterator[Window]:
    """The speech regions cut into blocks of at most ``block_s`` seconds."""
    for start_ms, end_ms in regions_ms:
        start_s, end_s = start_ms / 1000, end_ms / 1000
        while end_s - start_s > 1e-6:
            stop = min(end_s, start_s + block_s)
            if end_s - stop < block_s / 4:  # no crumb of a block at the region's end
                stop = end_s
            yield start_s, stop
            start_s = stop


def frame_spans(n_frames: int, window: int, hop: int, min_frames: int) -> list[tuple[int, int]]:
    """Window frame spans over ``n_frames``: every ``hop``, the last one flush with the end."""
    if n_frames < min_frames:
        return []
    if n_frames <= window:
        return [(0, n_frames)]
    starts = list(range(0, n_frames - window + 1, hop))
    if starts[-1] + window < n_frames:
        starts.append(n_frames - window)
    return [(a, a + window) for a in starts]


def embed_windows(read: Callable[[float, float], np.ndarray], encoder: Encoder,
                  regions_ms: Sequence[tuple[int, int]], options: DiarizeOptions,
                  sample_rate: int = 16_000) -> tuple[list[Window], np.ndarray, np.ndarray]:
    """Windows over the speech, their embeddings and their levels (dBFS), one block of
    audio at a time."""
    frame_s = 0.010
    window, hop = round(options.window_s / frame_s), round(options.hop_s / frame_s)
    windows: list[Window] = []
    parts: list[np.ndarray] = []
    levels: list[float] = []
    for start_s, end_s in blocks(regions_ms, options.block_s):
        samples = read(start_s, end_s)
        if samples.size < options.min_window_s * sample_rate:
            continue
        mel = encoder.mel_frames(samples)
        spans = frame_spans(len(mel), window, hop, round(options.min_window_s / frame_s))
        if not spans:
            continue
        parts.append(encoder.embed_frames(mel, spans))
        windows += [(start_s + a * frame_s, min(end_s, start_s + b * frame_s)) for a, b in spans]
        per_sample = sample_rate * frame_s
        levels += [_level_db(samples[int(a * per_sample):int(b * per_sample)]) for a, b in spans]
    embeddings = np.concatenate(parts) if parts else np.zeros((0, 256), np.float32)
    return windows, embeddings, np.asarray(levels, dtype=np.float64)


def _level_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-12))


def cluster(embeddings: np.ndarray, options: DiarizeOptions,
            levels_db: np.ndarray | None = None) -> np.ndarray:
    """A cluster index per embedding row.

    Only windows within ``weak_db`` of the file's median level vote (a quiet tail or a
    breath makes an odd voice print, not a new speaker); the rest, and past
    ``max_cluster_windows`` all but an even sample, join their nearest centroid afterwards:
    average linkage keeps an n x n distance matrix, which must not grow with the file.
    """
    n = len(embeddings)
    voting = np.ones(n, dtype=bool)
    if levels_db is not None and n:
        voting = levels_db >= np.median(levels_db) - options.weak_db
    rows = np.flatnonzero(voting)
    stride = max(1, -(-len(rows) // options.max_cluster_windows))
    rows = rows[::stride]
    if len(rows) == n:
        return cluster_all(embeddings, options)
    labels = cluster_all(embeddings[rows], options)
    ids = np.unique(labels)
    centroids = _centroids(embeddings[rows], labels, ids)
    nearest = np.concatenate([np.argmax(embeddings[i:i + 4096] @ centroids.T, axis=1)
                              for i in range(0, n, 4096)])
    out = np.asarray(ids[nearest])
    out[rows] = labels
    return out


def _centroids(embeddings: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == i].mean(axis=0) for i in ids])
    return np.asarray(centroids / np.linalg.norm(centroids, axis=1, keepdims=True))


def cluster_all(embeddings: np.ndarray, options: DiarizeOptions) -> np.ndarray:
    """A cluster index per embedding row: windows over-clustered (average linkage), then
    clusters merged by their centroids (see :func:`merge_clusters`)."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(embeddings)
    if n < 2 or options.speakers == 1:
        return np.zeros(n, dtype=int)
    labels = np.asarray(AgglomerativeClustering(
        n_clusters=None, distance_threshold=options.threshold, metric="cosine",
        linkage="average").fit_predict(embeddings))
    if options.speakers is not None:
        return _exactly(embeddings, labels, options.speakers)
    labels = merge_clusters(embeddings, labels, options)
    if len(np.unique(labels)) < options.min_speakers:
        return _exactly(embeddings, labels, options.min_speakers)
    return labels


def _exactly(embeddings: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """``count`` clusters: the most alike merged down to it, or a fresh split up to it."""
    from sklearn.cluster import AgglomerativeClustering

    count = min(count, len(embeddings))
    if len(np.unique(labels)) >= count:
        return merge_clusters(embeddings, labels, DiarizeOptions(
            merge_similarity=2.0, small_merge_similarity=2.0, max_speakers=count))
    return np.asarray(AgglomerativeClustering(n_clusters=count, metric="cosine",
                                              linkage="average").fit_predict(embeddings))


def merge_clusters(embeddings: np.ndarray, labels: np.ndarray,
                   options: DiarizeOptions) -> np.ndarray:
    """Merge clusters by centroid similarity (cosine), one pair at a time: a small cluster
    (under ``min_cluster_windows``) joins its nearest when that is ``small_merge_similarity``
    alike (under ``min_voice_windows``, always), two large ones when ``merge_similarity``
    alike, any pair while there are more than ``max_speakers``. A large cluster's centroid
    averages many windows, a steadier voice print than a small one's: the stricter bar."""
    labels = labels.copy()
    while len(ids := np.unique(labels)) > 1:
        counts = np.array([np.sum(labels == i) for i in ids])
        similarity = (c := _centroids(embeddings, labels, ids)) @ c.T
        np.fill_diagonal(similarity, -2.0)
        pair = _pair_to_merge(similarity, counts, options)
        if pair is None:
            return labels
        labels[labels == ids[pair[1]]] = ids[pair[0]]
    return labels


def _pair_to_merge(similarity: np.ndarray, counts: np.ndarray,
                   options: DiarizeOptions) -> tuple[int, int] | None:
    for small in np.argsort(counts, kind="stable"):
        if counts[small] >= options.min_cluster_windows:
            break
        nearest = int(np.argmax(similarity[small]))
        if similarity[small, nearest] >= options.small_merge_similarity or \
                counts[small] < options.min_voice_windows:
            return nearest, int(small)
    i, j = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
    if similarity[i, j] >= options.merge_similarity or len(counts) > options.max_speakers:
        return int(i), int(j)
    return None


def smooth(labels: np.ndarray, width: int = 3) -> np.ndarray:
    """Majority vote over ``width`` neighbouring windows (a lone window's flip is noise)."""
    if len(labels) < width:
        return labels
    out = labels.copy()
    half = width // 2
    for i in range(half, len(labels) - half):
        values, counts = np.unique(labels[i - half:i + half + 1], return_counts=True)
        if counts.max() > width // 2:
            out[i] = values[int(np.argmax(counts))]
    return out


def turns_from_windows(windows: Sequence[Window], labels: np.ndarray,
                       options: DiarizeOptions) -> list[SpeakerTurn]:
    """Turns from labelled windows: each window owns the middle of its hop, the ends of its
    block; short turns join a neighbour; speakers are numbered by first appearance."""
    pieces: list[tuple[float, float, int]] = []
    for i, ((start_s, end_s), label) in enumerate(zip(windows, labels.tolist(), strict=True)):
        centre = (start_s + end_s) / 2
        prev_end = windows[i - 1][1] if i else -1.0
        next_start = windows[i + 1][0] if i + 1 < len(windows) else float("inf")
        lo = start_s if prev_end < start_s else max(start_s, centre - options.hop_s / 2)
        hi = end_s if next_start > end_s else min(end_s, centre + options.hop_s / 2)
        if pieces and pieces[-1][1] > lo:  # overlapping cores: split the difference
            lo = (pieces[-1][1] + lo) / 2
            pieces[-1] = (pieces[-1][0], lo, pieces[-1][2])
        pieces.append((lo, hi, int(label)))
    merged = _merge(pieces, gap_s=1.0)
    # Only a short turn whose label differs from its donor's can change; one already carrying
    # it (kept apart by a pause over the merge gap) is settled, or the loop would never end.
    # Each pass relabels one turn; the bound is a guard against cycles, not a limit reached.
    for _ in range(4 * len(merged)):
        short = [k for k in range(len(merged)) if merged[k][1] - merged[k][0] < options.min_turn_s
                 and len(merged) > 1 and merged[_donor(merged, k)][2] != merged[k][2]]
        if not short:
            break
        k = min(short, key=lambda j: merged[j][1] - merged[j][0])
        merged = _merge(_absorb(merged, k), gap_s=1.0)
    return _numbered(merged)


def _merge(pieces: Sequence[tuple[float, float, int]],
           gap_s: float) -> list[tuple[float, float, int]]:
    out: list[tuple[float, float, int]] = []
    for lo, hi, label in pieces:
        if out and out[-1][2] == label and lo - out[-1][1] <= gap_s:
            out[-1] = (out[-1][0], max(hi, out[-1][1]), label)
        else:
            out.append((lo, hi, label))
    return out


def _donor(turns: Sequence[tuple[float, float, int]], k: int) -> int:
    """The longer neighbour of turn ``k`` (of two or more turns)."""
    def length(j: int) -> float:
        return turns[j][1] - turns[j][0] if 0 <= j < len(turns) else -1.0
    return k - 1 if length(k - 1) >= length(k + 1) else k + 1


def _absorb(turns: list[tuple[float, float, int]], k: int) -> list[tuple[float, float, int]]:
    """Turn ``k`` takes the label of its longer neighbour."""
    lo, hi, _ = turns[k]
    return [*turns[:k], (lo, hi, turns[_donor(turns, k)][2]), *turns[k + 1:]]


def _numbered(turns: Sequence[tuple[float, float, int]]) -> list[SpeakerTurn]:
    names: dict[int, str] = {}
    for _, _, label in turns:
        names.setdefault(label, SPEAKER_LABEL.format(n=len(names) + 1))
    return [SpeakerTurn(round(lo, 3), round(hi, 3), names[label]) for lo, hi, label in turns]


def diarize(read: Callable[[float, float], np.ndarray], encoder: Encoder,
            regions_ms: Sequence[tuple[int, int]],
            options: DiarizeOptions) -> tuple[list[SpeakerTurn], int]:
    """Speaker turns over the speech regions, and how many windows were embedded."""
    windows, embeddings, levels = embed_windows(read, encoder, regions_ms, options)
    if not windows:
        return [], 0
    labels = smooth(cluster(embeddings, options, levels))
    return turns_from_windows(windows, labels, options), len(windows)


def wav_reader(path: Path) -> Callable[[float, float], np.ndarray]:
    """Read ``[start_s, end_s)`` of a 16-bit mono WAV as float32, seeking (never the whole)."""
    def read(start_s: float, end_s: float) -> np.ndarray:
        with wave.open(str(path), "rb") as w:
            rate, total = w.getframerate(), w.getnframes()
            first = min(total, max(0, int(start_s * rate)))
            w.setpos(first)
            data = w.readframes(max(0, min(total, int(end_s * rate)) - first))
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return read
