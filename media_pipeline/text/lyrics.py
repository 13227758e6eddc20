"""Lyrics: parse the user's text, align recognised words to it, time every line and word.

The user's lyrics are one sung line per text line, verses separated by blank lines. The
shown text is theirs, exactly; recognition only supplies times.

Recognised words are paired with lyric words by :func:`align_dp` (a global alignment) or
:func:`align_greedy` (the seed's baseline), both in :mod:`media_pipeline.text.lyrics_align`.
Both give anchor pairs; :func:`time_lines` turns anchors into line and word times, spreading
unanchored words between their neighbours (over the recognised words nobody claimed, when
there are some), so every lyric line gets a time.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from media_pipeline.subtitles.model import Word
from media_pipeline.text.lyrics_align import Anchor, DpOptions, align_dp, align_greedy

__all__ = [
    "Anchor",
    "DpOptions",
    "LyricLine",
    "LyricsAlignment",
    "TimedLine",
    "align_dp",
    "align_greedy",
    "align_lyrics",
    "is_vocalise",
    "looks_english",
    "normalize",
    "parse_lyrics",
    "time_lines",
]

_TIME_TAG = re.compile(r"^(\[\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?\])+")
_META_TAG = re.compile(r"^\[[a-z#]+:.*\]$", re.I)
_SECTION = re.compile(r"^\[[^\]]*\]$")


@dataclass(frozen=True)
class LyricLine:
    """One sung line: the user's text, its words, and which verse it belongs to."""

    text: str
    words: tuple[str, ...]
    verse: int


@dataclass(frozen=True)
class TimedLine:
    """A lyric line with times; ``words`` are the user's words, each with its time."""

    text: str
    start_ms: int
    end_ms: int
    words: tuple[Word, ...]
    anchored_words: int
    verse: int = 0


def parse_lyrics(text: str) -> list[LyricLine]:
    """Lines of lyrics text: blank lines end verses; LRC time tags, LRC metadata lines and
    section labels on their own line (``[Chorus]``) are not sung and are dropped."""
    lines: list[LyricLine] = []
    verse = 0
    blank = False
    for raw in text.lstrip("\ufeff").splitlines():
        line = _TIME_TAG.sub("", raw.strip()).strip()
        if not line:
            blank = bool(lines)
            continue
        if _META_TAG.match(line) or _SECTION.match(line):
            continue
        words = tuple(line.split())
        if blank:
            verse += 1
            blank = False
        lines.append(LyricLine(" ".join(words), words, verse))
    return lines


def normalize(word: str) -> str:
    """Lower case, accents folded, letters and digits only ("¿Qué?" → "que")."""
    folded = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in folded if c.isalnum() and not unicodedata.combining(c))


def _word_ms(word: str) -> int:
    """A sung word's typical length (ms): to time unanchored words, and to cut the pause
    Whisper folds into a line's first word."""
    return 200 + 90 * len(normalize(word))


def time_lines(lines: Sequence[LyricLine], rec: Sequence[Word], anchors: Sequence[Anchor],
               end_ms: int) -> list[TimedLine]:
    """Times for every lyric line and word from ``anchors`` into the recognised ``rec``."""
    words = [w for line in lines for w in line.words]
    verse_of = [line.verse for line in lines for _ in line.words]
    n = len(words)
    start: list[int | None] = [None] * n
    end: list[int | None] = [None] * n
    rec_of: list[int | None] = [None] * n
    for a in anchors:
        r0, r1 = rec[a.rec[0]], rec[a.rec[1] - 1]
        span = list(range(*a.lyric))
        total = sum(len(words[i]) for i in span) or 1
        t, used = r0.start_ms, 0
        for i in span:
            used += len(words[i])
            start[i] = t
            t = r0.start_ms + (r1.end_ms - r0.start_ms) * used // total
            end[i] = max(t, start[i] or 0)
            rec_of[i] = a.rec[1] - 1
    vocal = [is_vocalise(line) for line in lines for _ in line.words]
    runs: list[tuple[int, int]] = []  # unanchored words, a run never mixing sounds and words
    i = 0
    while i < n:
        k = i + 1
        while k < n and start[i] is None and start[k] is None and vocal[k] == vocal[i]:
            k += 1
        if start[i] is None:
            runs.append((i, k))
        i = k
    # Words first: they may take recognised words nobody claimed; sung sounds then go into
    # the time left around them.
    for i, k in sorted(runs, key=lambda r: vocal[r[0]]):
        _fill(words, verse_of, start, end, rec_of, rec, i, k, end_ms, not vocal[i])
    first = 0
    for line in lines:  # Whisper folds the pause before a line into its first word
        s0, e0 = start[first], end[first]
        if rec_of[first] is not None and s0 is not None and e0 is not None:
            start[first] = max(s0, e0 - _word_ms(words[first]))
        first += len(line.words)
    out: list[TimedLine] = []
    pos = 0
    for line in lines:
        timed = []
        for w in line.words:
            s, e = start[pos] or 0, end[pos] or 0
            timed.append(Word(w, s, max(e, s + 1), 1.0 if rec_of[pos] is not None else 0.0))
            pos += 1
        anchored = sum(1 for x in timed if x.probability > 0)
        out.append(TimedLine(line.text, timed[0].start_ms, timed[-1].end_ms, tuple(timed),
                             anchored, line.verse))
    return out


def _fill(words: list[str], verse_of: list[int], start: list[int | None],
          end: list[int | None], rec_of: list[int | None], rec: Sequence[Word],
          i: int, k: int, end_ms: int, use_free: bool = True) -> None:
    """Time unanchored lyric words ``i:k`` between their nearest timed neighbours
    (over recognised words nobody claimed when ``use_free`` and there are some)."""
    p = next((x for x in range(i - 1, -1, -1) if end[x] is not None), None)
    q = next((x for x in range(k, len(words)) if start[x] is not None), None)
    t0 = int(end[p] or 0) if p is not None else 0
    t1 = int(start[q] or 0) if q is not None else end_ms
    if p is None and rec:
        t0 = min(rec[0].start_ms, t1)
    before = next((rec_of[x] for x in range(i - 1, -1, -1) if rec_of[x] is not None), None)
    r_lo = before + 1 if before is not None else 0
    r_hi = next((r for r in rec_of[k:] if r is not None), len(rec))
    free = [w for w in rec[r_lo:r_hi] if t0 <= w.start_ms and w.end_ms <= t1] if use_free else []
    need = [_word_ms(w) for w in words[i:k]]
    if free and free[-1].end_ms - free[0].start_ms >= sum(need) // 2:
        _spread(start, end, i, need, free[0].start_ms, free[-1].end_ms)
        return
    hi = max(t0, t1)
    if hi - t0 <= sum(need):
        _spread(start, end, i, need, t0, hi)
        return
    # More room than the words need: words of the verse sung before go right after it,
    # words of the verse sung next go right before it, whole verses in between are centred.
    head = i
    while head < k and p is not None and verse_of[head] == verse_of[p]:
        head += 1
    tail = k
    while tail > head and q is not None and verse_of[tail - 1] == verse_of[q]:
        tail -= 1
    head_ms, tail_ms = sum(need[: head - i]), sum(need[tail - i:])
    _spread(start, end, i, need[: head - i], t0, t0 + head_ms)
    _spread(start, end, tail, need[tail - i:], hi - tail_ms, hi)
    middle = need[head - i: tail - i]
    lo = t0 + head_ms + (hi - tail_ms - t0 - head_ms - sum(middle)) // 2
    _spread(start, end, head, middle, lo, lo + sum(middle))


def _spread(start: list[int | None], end: list[int | None], first: int, need: list[int],
            lo: int, hi: int) -> None:
    """Times for words ``first…`` over ``lo..hi``, in proportion to their ``need``."""
    total = sum(need) or 1
    acc = 0
    for x, d in enumerate(need, first):
        start[x] = lo + (hi - lo) * acc // total
        acc += d
        end[x] = lo + (hi - lo) * acc // total


@dataclass(frozen=True)
class LyricsAlignment:
    """Every lyric line timed, and how much recognition supported it."""

    lines: tuple[TimedLine, ...]
    method: str
    anchored_words: int
    lyric_words: int
    recognised_words: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary: counts of lines and words, and how many were anchored."""
        return {"method": self.method, "lines": len(self.lines),
                "lyric_words": self.lyric_words, "anchored_words": self.anchored_words,
                "recognised_words": self.recognised_words,
                "anchored_lines": sum(1 for x in self.lines if x.anchored_words)}


def align_lyrics(lyrics: str | Sequence[LyricLine], rec: Sequence[Word], end_ms: int,
                 method: str = "dp", options: DpOptions = DpOptions()) -> LyricsAlignment:
    """Time every line of ``lyrics`` from the recognised words ``rec`` (source time).

    ``method`` is ``dp`` (global alignment) or ``greedy`` (the seed's baseline).
    ``end_ms`` is the audio's length, the latest time an unanchored line may take.
    """
    lines = parse_lyrics(lyrics) if isinstance(lyrics, str) else list(lyrics)
    rec = sorted((w for w in rec if normalize(w.text)), key=lambda w: w.start_ms)
    lyric_norm = [normalize(w) for line in lines for w in line.words]
    rec_norm = [normalize(w.text) for w in rec]
    if method == "dp":
        sung = [i for line, first in zip(lines, _line_starts(lines), strict=True)
                if not is_vocalise(line) for i in range(first, first + len(line.words))]
        anchors = _in_lyric_positions(
            align_dp([lyric_norm[i] for i in sung], rec_norm, options), sung)
    elif method == "greedy":
        anchors = align_greedy(lyric_norm, rec_norm)
    else:
        raise ValueError(f"unknown lyrics alignment method {method!r} (dp, greedy)")
    timed = time_lines(lines, rec, anchors, end_ms) if lines else []
    anchored = sum(a.lyric[1] - a.lyric[0] for a in anchors)
    return LyricsAlignment(tuple(timed), method, anchored, len(lyric_norm), len(rec))


# Sounds without words ("ooh", "la la", "mmm"): Whisper seldom writes them down, so a
# line made only of them is timed from its neighbours instead of claiming a word.
_VOCALISE = re.compile(r"^(?:o+h*|a+h+|u+h+|h?m{2,}|la|na|da|doo+|wh?oa+h?)$")


def is_vocalise(line: LyricLine) -> bool:
    """Whether a lyric line is only sung sounds, no words ("ooh ooh", "la la la")."""
    return bool(line.words) and all(_VOCALISE.match(normalize(w)) for w in line.words)


def _line_starts(lines: Sequence[LyricLine]) -> list[int]:
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line.words)
    return starts


def _in_lyric_positions(anchors: list[Anchor], kept: list[int]) -> list[Anchor]:
    """Anchors over a subset of the lyric words (positions ``kept``) in full positions;
    a pair whose words are no longer neighbours there is dropped."""
    out = []
    for a in anchors:
        first, last = kept[a.lyric[0]], kept[a.lyric[1] - 1]
        if last - first == a.lyric[1] - 1 - a.lyric[0]:
            out.append(Anchor((first, last + 1), a.rec, a.similarity))
    return out


_ENGLISH = frozenset((
    "the", "an", "and", "or", "but", "of", "to", "at", "for", "with", "is", "are", "was",
    "were", "be", "been", "it", "its", "i", "you", "he", "she", "we", "they", "me", "my",
    "your", "our", "their", "this", "that", "what", "when", "where", "who", "why", "how",
    "not", "do", "don't", "i'm", "it's", "can", "will", "just", "all", "love", "baby", "yeah"))


def looks_english(text: str) -> bool:
    """Whether lyrics read as English: at least 15% of their words are common English
    function words (used to pick a multilingual model for other languages)."""
    tokens = [t.strip(".,!?;:\"()").casefold() for t in text.split()]
    tokens = [t for t in tokens if t]
    if not tokens:
        return True
    return sum(t in _ENGLISH for t in tokens) / len(tokens) >= 0.15
