"""Who speaks when: speaker turns from voice embeddings of short windows, clustered.

Inside each speech region, windows of ``window_s`` seconds every ``hop_s`` seconds are
embedded (one block of at most ``block_s`` seconds of audio in memory at a time, so a
1-hour file costs what a block costs, plus 1 KB per window). The windows are clustered by
cosine distance (scikit-learn's agglomerative clustering, average linkage): with
``speakers=auto`` the number of voices is where merging would join clusters further apart
than ``threshold``, so one voice stays one cluster; a number fixes it. Tiny clusters are
folded into their nearest voice, labels are smoothed over time, and turns shorter than
``min_turn_s`` join a neighbour. Speakers are named "Speaker 1", "Speaker 2", ... in order of
first appearance.
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
    merge_similarity: float = 0.65
    """Second pass: clusters whose centroids' cosine similarity reaches this are one voice
    (tuned on the corpus: every single-speaker file stays one, the multi-speaker ones split)."""
    min_cluster_share: float = 0.04
    """Auto: a cluster with fewer windows than this share (and 3) is folded into the nearest."""
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
                  sample_rate: int = 16_000) -> tuple[list[Window], np.ndarray]:
    """Windows over the speech and their embeddings, one block of audio at a time."""
    frame_s = 0.010
    window, hop = round(options.window_s / frame_s), round(options.hop_s / frame_s)
    windows: list[Window] = []
    parts: list[np.ndarray] = []
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
    return windows, (np.concatenate(parts) if parts else np.zeros((0, 256), np.float32))


def cluster(embeddings: np.ndarray, options: DiarizeOptions) -> np.ndarray:
    """A cluster index per embedding row. Past ``max_cluster_windows`` (a long file) an even
    sample is clustered and every window joins its nearest centroid: average linkage keeps
    an n x n distance matrix, which must not grow with the file."""
    n = len(embeddings)
    if n <= options.max_cluster_windows:
        return cluster_all(embeddings, options)
    stride = -(-n // options.max_cluster_windows)
    sample = embeddings[::stride]
    labels = cluster_all(sample, options)
    ids = np.unique(labels)
    centroids = np.stack([sample[labels == i].mean(axis=0) for i in ids])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    nearest = np.concatenate([np.argmax(embeddings[i:i + 4096] @ centroids.T, axis=1)
                              for i in range(0, n, 4096)])
    return np.asarray(ids[nearest])


def cluster_all(embeddings: np.ndarray, options: DiarizeOptions) -> np.ndarray:
    """A cluster index per embedding row: over-clustered windows, tiny clusters folded in,
    then voices whose centroids are alike merged (see :func:`merge_alike`)."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(embeddings)
    if n < 2 or options.speakers == 1:
        return np.zeros(n, dtype=int)
    labels = np.asarray(AgglomerativeClustering(
        n_clusters=None, distance_threshold=options.threshold, metric="cosine",
        linkage="average").fit_predict(embeddings))
    labels = fold_small(embeddings, labels, max(3, int(options.min_cluster_share * n)))
    if options.speakers is not None:
        return _exactly(embeddings, labels, options.speakers)
    labels = merge_alike(embeddings, labels, options.merge_similarity,
                         max(1, options.max_speakers))
    if len(np.unique(labels)) < options.min_speakers:
        return _exactly(embeddings, labels, options.min_speakers)
    return labels


def _exactly(embeddings: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """``count`` clusters: alike ones merged down to it, or a fresh split up to it."""
    from sklearn.cluster import AgglomerativeClustering

    count = min(count, len(embeddings))
    if len(np.unique(labels)) >= count:
        return merge_alike(embeddings, labels, 2.0, count)
    return np.asarray(AgglomerativeClustering(n_clusters=count, metric="cosine",
                                              linkage="average").fit_predict(embeddings))


def merge_alike(embeddings: np.ndarray, labels: np.ndarray, min_similarity: float,
                max_count: int) -> np.ndarray:
    """Merge the two clusters with the most alike centroids (cosine) while that similarity is
    at least ``min_similarity`` or there are more than ``max_count`` clusters. A centroid
    averages many windows, so it is a steadier voice print than any one window."""
    labels = labels.copy()
    while True:
        ids = np.unique(labels)
        if len(ids) < 2:
            return labels
        centroids = np.stack([embeddings[labels == i].mean(axis=0) for i in ids])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        similarity = centroids @ centroids.T
        np.fill_diagonal(similarity, -2.0)
        i, j = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
        if similarity[i, j] < min_similarity and len(ids) <= max_count:
            return labels
        labels[labels == ids[j]] = ids[i]


def fold_small(embeddings: np.ndarray, labels: np.ndarray, min_size: int) -> np.ndarray:
    """Windows of clusters smaller than ``min_size`` join the nearest large cluster."""
    ids, counts = np.unique(labels, return_counts=True)
    big = [i for i, c in zip(ids, counts, strict=True) if c >= min_size]
    if not big:
        return np.zeros(len(labels), dtype=int)
    centroids = np.stack([embeddings[labels == i].mean(axis=0) for i in big])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    out = labels.copy()
    for row in np.flatnonzero(~np.isin(labels, big)):
        out[row] = big[int(np.argmax(centroids @ embeddings[row]))]
    return out


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
    while len(merged) > 1:
        short = min(range(len(merged)), key=lambda k: merged[k][1] - merged[k][0])
        if merged[short][1] - merged[short][0] >= options.min_turn_s:
            break
        merged = _merge(_absorb(merged, short), gap_s=1.0)
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


def _absorb(turns: list[tuple[float, float, int]], k: int) -> list[tuple[float, float, int]]:
    """Turn ``k`` takes the label of its longer neighbour."""
    def length(j: int) -> float:
        return turns[j][1] - turns[j][0] if 0 <= j < len(turns) else -1.0
    donor = k - 1 if length(k - 1) >= length(k + 1) else k + 1
    lo, hi, _ = turns[k]
    return [*turns[:k], (lo, hi, turns[donor][2]), *turns[k + 1:]]


def _numbered(turns: Sequence[tuple[float, float, int]]) -> list[SpeakerTurn]:
    names: dict[int, str] = {}
    for _, _, label in turns:
        names.setdefault(label, SPEAKER_LABEL.format(n=len(names) + 1))
    return [SpeakerTurn(round(lo, 3), round(hi, 3), names[label]) for lo, hi, label in turns]


def diarize(read: Callable[[float, float], np.ndarray], encoder: Encoder,
            regions_ms: Sequence[tuple[int, int]],
            options: DiarizeOptions) -> tuple[list[SpeakerTurn], int]:
    """Speaker turns over the speech regions, and how many windows were embedded."""
    windows, embeddings = embed_windows(read, encoder, regions_ms, options)
    if not windows:
        return [], 0
    labels = smooth(cluster(embeddings, options))
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
