"""Per-chunk timings onto one narration timeline, and estimates when a provider gives none."""

import bisect
from collections.abc import Sequence

from media_pipeline.tts.chunker import Chunk, TextSpan, sentence_spans, word_spans
from media_pipeline.tts.errors import TimingMergeError
from media_pipeline.tts.providers.base import TimedSentence, TimedWord

# Providers round their own timings; a word ending this far past its chunk is clamped, not fatal.
OVERSHOOT_TOLERANCE_MS = 100


def estimate_word_timings(text: str, duration_ms: int) -> list[TimedWord]:
    """Words of ``text`` spread over ``duration_ms`` in proportion to their characters."""
    whole = Chunk(0, text, 0)
    return [
        TimedWord(w.text, *_span_times(w, [whole], [0], [duration_ms]), offset=w.offset)
        for w in word_spans(text)
    ]


def _span_times(
    span: TextSpan, chunks: Sequence[Chunk], offsets_ms: Sequence[int], durations_ms: Sequence[int]
) -> tuple[int, int]:
    starts = [c.offset for c in chunks]

    def at(pos: int, after: bool) -> int:
        # Each character is located in the chunk that holds it, so a span split across
        # chunks starts in the first one and ends in the last one.
        i = max(0, bisect.bisect_right(starts, pos) - 1)
        chunk = chunks[i]
        within = min(max(pos - chunk.offset + int(after), 0), len(chunk.text))
        return offsets_ms[i] + round(within * durations_ms[i] / max(len(chunk.text), 1))

    start = at(span.offset, after=False)
    return start, max(start, at(span.end - 1, after=True))


class TimingNormalizer:
    """Merges per-chunk word timings into narration time and estimates sentence timings."""

    def merge_word_timings(
        self,
        chunks: Sequence[Chunk],
        chunk_words: Sequence[Sequence[TimedWord]],
        offsets_ms: Sequence[int],
        durations_ms: Sequence[int],
    ) -> list[TimedWord]:
        """Shift each chunk's words by its offset (time and text); ``TimingMergeError`` if bad."""
        if not len(chunks) == len(chunk_words) == len(offsets_ms) == len(durations_ms):
            raise TimingMergeError("timing lists do not match the chunks")
        merged: list[TimedWord] = []
        for chunk, words, offset_ms, duration_ms in zip(
            chunks, chunk_words, offsets_ms, durations_ms, strict=True
        ):
            spans = word_spans(chunk.text)
            previous_start = 0
            for k, word in enumerate(words):
                char_offset = word.offset
                if char_offset is None:
                    if len(words) != len(spans):
                        raise TimingMergeError(f"chunk {chunk.index}: words lack text offsets")
                    char_offset = spans[k].offset
                if not 0 <= char_offset < len(chunk.text):
                    raise TimingMergeError(f"chunk {chunk.index}: word offset out of range")
                if word.start_ms < previous_start or word.end_ms < word.start_ms:
                    raise TimingMergeError(f"chunk {chunk.index}: word timings not monotonic")
                if word.start_ms < 0 or word.end_ms > duration_ms + OVERSHOOT_TOLERANCE_MS:
                    raise TimingMergeError(f"chunk {chunk.index}: word timings outside its audio")
                previous_start = word.start_ms
                merged.append(
                    TimedWord(
                        word.text,
                        offset_ms + min(word.start_ms, duration_ms),
                        offset_ms + min(word.end_ms, duration_ms),
                        offset=chunk.offset + char_offset,
                    )
                )
        return merged

    def sentences_from_words(self, text: str, words: Sequence[TimedWord]) -> list[TimedSentence]:
        """Sentence timings spanning the words inside each sentence of ``text``."""
        sentences: list[TimedSentence] = []
        ordered = sorted((w for w in words if w.offset is not None), key=lambda w: w.offset or 0)
        word_offsets = [w.offset or 0 for w in ordered]
        last_end = 0
        for span in sentence_spans(text):
            lo = bisect.bisect_left(word_offsets, span.offset)
            hi = bisect.bisect_left(word_offsets, span.end)
            inside = ordered[lo:hi]
            if inside:
                start = min(w.start_ms for w in inside)
                last_end = max(last_end, max(w.end_ms for w in inside))
            else:
                # A sentence with nothing spoken (a lone dash) gets an empty span in place.
                start = last_end
            sentences.append(TimedSentence(span.text, start, max(start, last_end), span.offset))
        return sentences

    def estimate_sentence_timings(
        self,
        text: str,
        chunks: Sequence[Chunk],
        offsets_ms: Sequence[int],
        durations_ms: Sequence[int],
    ) -> list[TimedSentence]:
        """Sentence timings proportional to characters within each chunk's real duration."""
        if not chunks:
            return []
        return [
            TimedSentence(s.text, *_span_times(s, chunks, offsets_ms, durations_ms), s.offset)
            for s in sentence_spans(text)
        ]
