"""Run faster-whisper over the speech regions only and put every time back on the source.

The speech regions are concatenated, cut into windows of at most 30 s (Whisper's context)
at region seams or, inside a long region, at its quietest moment, and decoded in batches.
Batching independent windows is what makes this faster than sequential decoding, and each
window starting fresh keeps one hallucination from seeding the next.
"""

import bisect
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from media_pipeline.asr.loops import (
    DecodedSegment,
    DecodedWord,
    looks_looped,
    redecode_window,
    shifted,
)
from media_pipeline.audio.vad import CutMap, SpeechRegion, cut_speech
from media_pipeline.subtitles.model import Word

# Segments Whisper is unsure contain speech at all; its own defaults, applied after the fact
# too, because a segment kept by one test and not the other is a frequent hallucination.
NO_SPEECH_THRESHOLD = 0.6
LOGPROB_THRESHOLD = -1.0
MIN_MEAN_WORD_PROBABILITY = 0.25


@dataclass(frozen=True)
class AsrOptions:
    language: str | None = None
    beam_size: int = 5
    english_only: bool = False
    batch_size: int = 8
    """Windows decoded at once, shared among the model's workers (see ``_WindowDecoder``)."""
    task: str = "transcribe"
    """Whisper's task: transcribe, or translate (English text from any language)."""


@dataclass(frozen=True)
class TranscriptSegment:
    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    """Recognised segments on the source timeline."""

    language: str
    language_probability: float
    speech_ms: int
    segments: tuple[TranscriptSegment, ...] = field(default=())
    dropped_segments: int = 0
    redecoded_windows: int = 0
    """Windows whose batched text looped and were decoded again alone (asr/loops.py)."""

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]


class TranscriptionCancelled(Exception):
    """Raised between segments when the caller asks to stop."""


def transcribe_regions(
    model: Any,
    samples: np.ndarray,
    sample_rate: int,
    regions: list[SpeechRegion],
    options: AsrOptions,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Transcript:
    """Transcribe the concatenated ``regions`` of ``samples`` with word timestamps."""
    cut_map = CutMap.from_regions(regions)
    speech = cut_speech(samples, sample_rate, regions)
    language = _language(options)
    if speech.size < sample_rate // 4:  # under 250 ms: nothing a model can read
        return Transcript(language or "", 0.0, cut_map.total_ms)
    windows = _windows(speech, sample_rate, cut_map)
    decoder = _WindowDecoder(model, speech, language, options)
    decoded: list[_Decoded] = []
    # A few batches of windows at a time: features and decoder state stay bounded.
    with decoder:
        for batch in decoder.decode_all(windows):
            for window in batch:
                for seg in window.segments:
                    if should_stop is not None and should_stop():
                        raise TranscriptionCancelled()
                    if on_progress is not None:
                        on_progress(float(seg.end))
                decoded.append(window)
    return _transcript(decoded, cut_map, decoder, language)


@dataclass(frozen=True)
class SpeechClip:
    """One file's audio and speech regions, for :func:`transcribe_clips`."""

    samples: np.ndarray
    sample_rate: int
    regions: list[SpeechRegion]


def transcribe_clips(model: Any, clips: list[SpeechClip], options: AsrOptions,
                     ) -> list[Transcript]:
    """Several files' speech in shared batches: the same windows as one file at a time
    (none spans two files), but short files fill a batch together instead of one each."""
    language = _language(options)
    if language is None or len({c.sample_rate for c in clips}) > 1:
        # Whisper would detect one language per batch: each file decides its own.
        return [transcribe_regions(model, c.samples, c.sample_rate, c.regions, options)
                for c in clips]
    pieces: list[np.ndarray] = []
    spans: list[tuple[CutMap, int, list[tuple[int, int]]] | None] = []
    offset = 0  # samples: a whole number of Whisper's 20 ms time steps, so each file's
    # windows sit on the same time grid as when it is transcribed alone
    for clip in clips:
        rate = clip.sample_rate
        cut_map = CutMap.from_regions(clip.regions)
        speech = cut_speech(clip.samples, rate, clip.regions)
        if speech.size < rate // 4:
            spans.append(None)
            continue
        pad = -speech.size % (rate // 50)
        spans.append((cut_map, offset * 1000 // rate,
                      [(a + offset * 1000 // rate, b + offset * 1000 // rate)
                       for a, b in _windows(speech, rate, cut_map)]))
        pieces += [speech, np.zeros(pad, dtype=speech.dtype)]
        offset += speech.size + pad
    flat = [w for span in spans if span is not None for w in span[2]]
    decoder = _WindowDecoder(model, np.concatenate(pieces) if pieces else np.zeros(0),
                             language, options)
    decoded: list[_Decoded] = []
    with decoder:
        for batch in decoder.decode_all(flat):
            decoded += batch
    out: list[Transcript] = []
    for clip, span in zip(clips, spans, strict=True):
        if span is None:
            out.append(Transcript(language or "", 0.0,
                                  CutMap.from_regions(clip.regions).total_ms))
            continue
        cut_map, offset_ms, windows = span
        mine, decoded = decoded[:len(windows)], decoded[len(windows):]
        out.append(_transcript([_Decoded(shifted(d.segments, -offset_ms / 1000), d.redecoded,
                                         d.lost) for d in mine], cut_map, decoder, language))
    return out


def _language(options: AsrOptions) -> str | None:
    return "en" if options.english_only else (options.language or None)


def _windows(speech: np.ndarray, sample_rate: int, cut_map: CutMap) -> list[tuple[int, int]]:
    speech_ms = speech.size * 1000 // sample_rate
    # Whisper rejects a clip that ends past the audio; clamp against any rounding upstream.
    return [(a, min(b, speech_ms)) for a, b in speech_windows(speech, sample_rate, cut_map)
            if a < speech_ms]


def _transcript(decoded: list["_Decoded"], cut_map: CutMap, decoder: "_WindowDecoder",
                language: str | None) -> Transcript:
    """The kept segments of ``decoded`` windows (cut timeline, seconds) on the source's."""
    kept: list[TranscriptSegment] = []
    dropped = sum(d.lost for d in decoded)
    for seg in (seg for d in decoded for seg in d.segments):
        words = tuple(_remap_word(w, cut_map) for w in seg.words if w.word.strip())
        if _looks_hallucinated(seg, words):
            dropped += 1
            continue
        if words:
            kept.append(TranscriptSegment(
                start_ms=cut_map.to_source_ms(round(seg.start * 1000)),
                end_ms=cut_map.to_source_ms(round(seg.end * 1000), is_end=True),
                text=seg.text.strip(), words=words, avg_logprob=seg.avg_logprob,
                no_speech_prob=seg.no_speech_prob))
    return Transcript(language=decoder.language or language or "",
                      language_probability=decoder.language_probability,
                      speech_ms=cut_map.total_ms, segments=tuple(kept), dropped_segments=dropped,
                      redecoded_windows=sum(d.redecoded for d in decoded))


@dataclass(frozen=True)
class _Decoded:
    """One window's segments; ``redecoded``: its text looped and it was decoded again, and
    ``lost`` segments of it were left out because they still looped."""

    segments: list[DecodedSegment]
    redecoded: bool = False
    lost: int = 0


class _WindowDecoder:
    """Batched decoding of windows (ms on the cut timeline); a window whose text loops is
    decoded again alone with temperature fallback (asr/loops.py).

    A model loaded with several workers (asr/models.py ``decode_lanes``) decodes that many
    batches at once, one per thread, the batch size shared among them: on CPU, CTranslate2
    spreads a small model's work over its threads poorly (40 short clips' windows on two
    cores: 16.6 s as one batch of 8 on two threads, 13.3 s as two of 4 on one thread each).
    """

    def __init__(self, model: Any, speech: np.ndarray, language: str | None,
                 options: AsrOptions) -> None:
        self.model, self.speech, self.options = model, speech, options
        self.task = "transcribe" if options.english_only else options.task
        self.forced = language
        self.language: str | None = None
        self.language_probability = 0.0
        # The workers of the CTranslate2 model under faster-whisper's (1 for anything else).
        self.lanes = max(1, int(getattr(getattr(model, "model", None), "num_workers", 1)))
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(self.lanes, "decode")

    def __enter__(self) -> "_WindowDecoder":
        return self

    def __exit__(self, *exc: object) -> None:
        # On a cancel, batches not started are dropped; a running one ends first.
        self._pool.shutdown(wait=True, cancel_futures=True)

    def decode_all(self, windows: list[tuple[int, int]]) -> Iterator[list[_Decoded]]:
        """Each batch of ``windows``' decoded windows, in order, ``lanes`` batches ahead."""
        lanes = self.lanes
        # As many windows in flight as one batch before; few windows are shared among the
        # lanes rather than left to the first one.
        size = max(1, min(self.options.batch_size // lanes, -(-len(windows) // lanes)))
        batches = [windows[i:i + size] for i in range(0, len(windows), size)]
        running = [self._pool.submit(self._decode, b) for b in batches[:lanes]]
        for n in range(len(batches)):
            done, language, probability = running.pop(0).result()
            if n + lanes < len(batches):
                running.append(self._pool.submit(self._decode, batches[n + lanes]))
            if self.language is None:  # the first batch's, as when decoded one at a time
                self.language, self.language_probability = language, probability
            yield done

    def _pipeline(self) -> Any:
        """This thread's pipeline (it keeps state between calls)."""
        from faster_whisper import BatchedInferencePipeline

        if not hasattr(self._local, "pipeline"):
            self._local.pipeline = BatchedInferencePipeline(self.model)
        return self._local.pipeline

    def _decode(self, windows: list[tuple[int, int]],
                ) -> tuple[list[_Decoded], str, float]:
        """Each of ``windows``' segments, in order; the language Whisper wrote them in."""
        pipeline = self._pipeline()
        segments, info = pipeline.transcribe(
            self.speech, language=self.forced, task=self.task,
            beam_size=self.options.beam_size, word_timestamps=True,
            clip_timestamps=[{"start": a / 1000, "end": b / 1000} for a, b in windows],
            batch_size=self.options.batch_size)
        per_window: list[list[DecodedSegment]] = [[] for _ in windows]
        starts = [a for a, _ in windows]
        for seg in shifted(segments, 0.0):
            index = max(0, bisect.bisect_right(starts, round(seg.start * 1000) + 1) - 1)
            per_window[index].append(seg)
        language = self.forced or info.language
        out: list[_Decoded] = []
        for (a, b), segs in zip(windows, per_window, strict=True):
            if looks_looped(" ".join(s.text for s in segs)):
                again = redecode_window(pipeline, self.speech, a, b, language, self.task,
                                        self.options.beam_size)
                out.append(_Decoded(again, True, 0 if again else len(segs)))
            else:
                out.append(_Decoded(segs))
        return out, info.language, info.language_probability


WINDOW_MS = 30_000
MIN_SPLIT_MS = 20_000


def speech_windows(speech: np.ndarray, sample_rate: int, cut_map: CutMap) -> list[tuple[int, int]]:
    """Windows (ms on the cut timeline) of at most 30 s, ending at seams or quiet moments."""
    total = cut_map.total_ms
    seams = sorted({p[0] for p in cut_map.pieces[1:]})
    out: list[tuple[int, int]] = []
    start = 0
    while start < total:
        if total - start <= WINDOW_MS:
            out.append((start, total))
            break
        limit = start + WINDOW_MS
        inside = [s for s in seams if start + MIN_SPLIT_MS <= s <= limit]
        end = inside[-1] if inside else _quietest_ms(speech, sample_rate,
                                                      start + MIN_SPLIT_MS, limit)
        out.append((start, end))
        start = end
    return out


def _quietest_ms(speech: np.ndarray, sample_rate: int, lo_ms: int, hi_ms: int) -> int:
    """The start of the quietest 50 ms frame between ``lo_ms`` and ``hi_ms``."""
    step = sample_rate // 20
    lo, hi = lo_ms * sample_rate // 1000, hi_ms * sample_rate // 1000
    n = (hi - lo) // step
    if n <= 1:
        return hi_ms
    frames = speech[lo : lo + n * step].reshape(n, step)
    quietest = int(np.argmin(np.mean(frames.astype(np.float64) ** 2, axis=1)))
    return lo_ms + quietest * 50


def _remap_word(word: DecodedWord, cut_map: CutMap) -> Word:
    cut_start, cut_end = round(word.start * 1000), round(word.end * 1000)
    if cut_map.pieces:
        lo, hi = cut_map.main_piece(cut_start, cut_end)
        cut_start, cut_end = min(max(cut_start, lo), hi), max(min(cut_end, hi), lo)
    start = cut_map.to_source_ms(cut_start)
    end = cut_map.to_source_ms(cut_end, is_end=True)
    return Word(word.word.strip(), start, max(end, start), float(word.probability))


def _looks_hallucinated(seg: DecodedSegment, words: tuple[Word, ...]) -> bool:
    if seg.no_speech_prob > NO_SPEECH_THRESHOLD and seg.avg_logprob < LOGPROB_THRESHOLD:
        return True
    if words:
        mean_p = sum(w.probability for w in words) / len(words)
        if mean_p < MIN_MEAN_WORD_PROBABILITY:
            return True
    return False
