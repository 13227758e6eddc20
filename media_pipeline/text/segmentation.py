"""Turn timed words into cues that follow a style-guide profile.

Break points are chosen by dynamic programming over word boundaries: sentence ends and
pauses are cheap places to cut, mid-phrase cuts and cuts inside a name are expensive, and a
cue must fit the profile's lines and duration. :func:`retime_cues` then gives every cue the
time its text needs: it borrows silence before and after the words, closes small gaps, and
when speech is too fast to read lets cues run late and catch up in the next pause, so that
every cue meets the profile's duration, reading-speed and gap rules by construction.
"""

import itertools
from dataclasses import dataclass, replace

from media_pipeline.subtitles.model import Cue, Word, join_words
from media_pipeline.text.linebreak import (
    ABBREVIATIONS,
    break_lines,
    is_weak_ending,
)
from media_pipeline.text.profiles import SegmentationProfile

_SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
_CLAUSE_END = (",", ";", ":", "—", "–", "，", "、")
_MAX_WORDS_PER_CUE = 40


def ends_sentence(word: str) -> bool:
    """Whether ``word`` ends a sentence (end punctuation, not a title such as "Mr.")."""
    return word.endswith(_SENTENCE_END) and word.lower() not in ABBREVIATIONS


@dataclass(frozen=True)
class _Candidate:
    cost: float
    start: int


def segment_words(words: list[Word], profile: SegmentationProfile) -> list[Cue]:
    """Cues for ``words`` (source-time ordered) under ``profile``, timed for reading."""
    words = [w for w in sorted(words, key=lambda w: w.start_ms) if w.text.strip()]
    words = split_long_words(words, profile.max_chars_per_line)
    if not words:
        return []
    n = len(words)
    best: list[_Candidate | None] = [None] * (n + 1)
    best[0] = _Candidate(0.0, 0)
    max_chars = profile.max_chars_per_line * profile.max_lines
    for end in range(1, n + 1):
        chars = -1
        for start in range(end - 1, max(-1, end - 1 - _MAX_WORDS_PER_CUE), -1):
            chars += len(words[start].text) + 1
            span_ms = words[end - 1].end_ms - words[start].start_ms
            if start < end - 1 and (chars > max_chars or span_ms > profile.max_duration_ms):
                break  # longer chunks only get longer
            prev = best[start]
            if prev is None:
                continue
            cost = _cue_cost(words, start, end, profile)
            if cost is None:
                continue
            total = prev.cost + cost
            current = best[end]
            if current is None or total < current.cost:
                best[end] = _Candidate(total, start)
        if best[end] is None:  # cannot happen after split_long_words; kept as a safety net
            best[end] = _Candidate((best[end - 1] or _Candidate(0, 0)).cost + 50, end - 1)
    spans: list[tuple[int, int]] = []
    end = n
    while end > 0:
        cand = best[end]
        assert cand is not None
        spans.append((cand.start, end))
        end = cand.start
    spans.reverse()
    cues = []
    for s, e in spans:
        chunk = words[s:e]
        lines = break_lines([w.text for w in chunk], profile.max_chars_per_line,
                            profile.max_lines) or (join_words([w.text for w in chunk]),)
        cues.append(Cue(chunk[0].start_ms, max(chunk[-1].end_ms, chunk[0].start_ms + 1),
                        lines, tuple(chunk)))
    return retime_cues(cues, profile)


def split_long_words(words: list[Word], max_chars: int) -> list[Word]:
    """Words longer than a line (URLs, unbroken CJK runs) cut into line-sized pieces."""
    out: list[Word] = []
    for w in words:
        if len(w.text) <= max_chars:
            out.append(w)
            continue
        pieces = [w.text[i : i + max_chars] for i in range(0, len(w.text), max_chars)]
        step = max(1, w.duration_ms) / len(pieces)
        for k, piece in enumerate(pieces):
            start = w.start_ms + round(k * step)
            end = w.start_ms + round((k + 1) * step)
            out.append(replace(w, text=piece, start_ms=start, end_ms=max(end, start)))
    return out


def _excess_ms(word: Word) -> int:
    """How much longer a word lasts than its letters need: Whisper folds pauses into words."""
    return max(0, word.duration_ms - (120 + 90 * len(word.text)))


def pause_after(words: list[Word], i: int) -> int:
    """Estimated silence between word ``i`` and word ``i + 1``."""
    a, b = words[i], words[i + 1]
    return max(0, b.start_ms - a.end_ms) + (_excess_ms(a) + _excess_ms(b)) // 2


def _is_name_part(word: str) -> bool:
    if word.lower() in ABBREVIATIONS:
        return True  # "Mr. | Smith" splits a name too
    return word[:1].isupper() and not word.endswith(_SENTENCE_END + _CLAUSE_END)


def _cue_cost(
    words: list[Word], start: int, end: int, profile: SegmentationProfile
) -> float | None:
    chunk = words[start:end]
    span_ms = chunk[-1].end_ms - chunk[0].start_ms
    if span_ms > profile.max_duration_ms and len(chunk) > 1:
        return None
    lines = break_lines([w.text for w in chunk], profile.max_chars_per_line, profile.max_lines)
    if lines is None:
        return None
    cost = 1.0  # every cue costs something, so cues are not split without reason
    for a, b in itertools.pairwise(chunk):
        if b.start_ms - a.end_ms >= profile.pause_split_ms:
            cost += 30.0  # a long pause inside a cue: the cue should have ended there
    last = chunk[-1].text
    if end < len(words):
        gap = pause_after(words, end - 1)
        if ends_sentence(last):
            cost += 0.0
        elif gap >= profile.pause_split_ms:
            cost += 0.5
        elif last.endswith(_CLAUSE_END):
            cost += 2.0
        elif gap >= 250:
            cost += 4.0
        else:
            cost += 8.0
        if _is_name_part(last) and _is_name_part(words[end].text) and start < end - 1:
            cost += 6.0  # "New | York": never split a name if it can be helped
        if is_weak_ending(last):
            cost += 4.0  # "... the | house": the cue would end mid-phrase
    for w in chunk[:-1]:
        if ends_sentence(w.text):
            cost += 3.0  # a sentence end inside a cue, followed by the next sentence's start
    chars = sum(len(line) for line in lines)
    # Time the cue can use: up to the next word (minus the gap), at most the longest cue.
    next_start = words[end].start_ms if end < len(words) else chunk[-1].end_ms + 2000
    room_ms = min(max(span_ms, next_start - profile.min_gap_ms - chunk[0].start_ms, 1),
                  profile.max_duration_ms)
    if chars * 1000 / room_ms > profile.max_cps:
        cost += 2.0 * (chars * 1000 / room_ms - profile.max_cps)
    if room_ms < profile.min_duration_ms:
        cost += 2.0
    if len(chunk) == 1 and len(words) > 1:
        cost += 3.0
    return cost


#: Cue times are multiples of this, so ASS (centiseconds) shows exactly what SRT shows.
TIME_STEP_MS = 10


def _up(ms: int) -> int:
    return -(-ms // TIME_STEP_MS) * TIME_STEP_MS


def _down(ms: int) -> int:
    return ms // TIME_STEP_MS * TIME_STEP_MS


def needed_ms(cue: Cue, profile: SegmentationProfile) -> int:
    """The shortest time ``cue`` may be shown: the minimum duration or its reading time."""
    chars = sum(len(line) for line in cue.lines)
    reading = int(-(-chars * 1000 // profile.max_cps))  # ceil
    return min(_up(max(profile.min_duration_ms, reading)), _down(profile.max_duration_ms))


def retime_cues(cues: list[Cue], profile: SegmentationProfile) -> list[Cue]:
    """Times that meet the profile: duration, reading speed, minimum gap, no overlap.

    A cue starts with its first word (earlier only to make room, into the silence before)
    and ends with its last word or once its text can be read, whichever is later. When the
    next cue starts too soon, this cue first gives up the time after its last word, then
    starts earlier; only when that is not enough does the next cue start late (the delay is
    absorbed by the next pause). Gaps shorter than ``close_gap_ms`` are closed down to the
    minimum gap. Times are multiples of :data:`TIME_STEP_MS`; cues are expected in start
    order.
    """
    gap = _up(profile.min_gap_ms)
    longest = _down(profile.max_duration_ms)
    out: list[Cue] = []
    prev_end: int | None = None
    for i, cue in enumerate(cues):
        need = needed_ms(cue, profile)
        lo = 0 if prev_end is None else prev_end + gap
        start = max(_down(cue.start_ms), lo)
        end = min(max(_up(cue.end_ms), start + need), start + longest)
        if i + 1 < len(cues):
            limit = _down(cues[i + 1].start_ms) - gap
            if end > limit:
                end = max(limit, start + need)
                if end > limit:  # still too long: start earlier, into the silence before
                    start = max(lo, limit - need)
                    end = start + need
            elif limit - end < profile.close_gap_ms:
                end = min(limit, start + longest)  # flicker-free hand-over
        out.append(cue.with_times(start, end))
        prev_end = end
    return out
