"""The cue model shared by every stage: times are integer milliseconds everywhere."""

import unicodedata
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Word:
    """One recognised word on the source file's timeline.

    ``text`` keeps Whisper's leading space convention stripped; ``probability`` is 0..1.
    """

    text: str
    start_ms: int
    end_ms: int
    probability: float = 1.0
    speaker: str = ""
    """Who says it ("Speaker 1", ...); empty when diarization is off or found nobody."""

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Cue:
    """One subtitle event: up to a few lines of text shown from ``start_ms`` to ``end_ms``.

    ``lines`` is the text as it will be displayed (already broken into lines);
    ``words`` are the timed words it came from, possibly empty after manual edits;
    ``speaker`` is who says it (a dual-speaker cue: the first line's speaker, its words
    carry each line's).
    """

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    words: tuple[Word, ...] = field(default=())
    speaker: str = ""

    @property
    def text(self) -> str:
        """The cue text with line breaks as spaces."""
        return " ".join(self.lines)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def with_times(self, start_ms: int, end_ms: int) -> "Cue":
        return replace(self, start_ms=start_ms, end_ms=end_ms)


def _word_dict(w: Word) -> dict[str, object]:
    out: dict[str, object] = {"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms,
                              "p": w.probability}
    if w.speaker:  # absent without diarization: files stay as they were
        out["speaker"] = w.speaker
    return out


def cues_to_dicts(cues: list[Cue]) -> list[dict[str, object]]:
    """Serialise cues (with words) to plain JSON-ready dicts; ``speaker`` only when known."""
    out: list[dict[str, object]] = []
    for c in cues:
        row: dict[str, object] = {"start_ms": c.start_ms, "end_ms": c.end_ms,
                                  "lines": list(c.lines),
                                  "words": [_word_dict(w) for w in c.words]}
        if c.speaker:
            row["speaker"] = c.speaker
        out.append(row)
    return out


def cues_from_dicts(rows: list[dict]) -> list[Cue]:  # type: ignore[type-arg]
    """Inverse of :func:`cues_to_dicts`."""
    return [
        Cue(
            start_ms=int(r["start_ms"]),
            end_ms=int(r["end_ms"]),
            lines=tuple(r["lines"]),
            words=tuple(
                Word(w["text"], int(w["start_ms"]), int(w["end_ms"]), float(w.get("p", 1.0)),
                     str(w.get("speaker", "")))
                for w in r.get("words", [])
            ),
            speaker=str(r.get("speaker", "")),
        )
        for r in rows
    ]


def display_line(line: str) -> str:
    """One line of cue text as a subtitle file may hold it: control characters (NUL, ESC,
    a stray CR or line feed, Unicode line separators) become spaces, so no format's line or
    block structure can be broken from inside a cue."""
    if line.isprintable():  # the common case: nothing to replace
        return line
    return "".join(" " if _breaks_lines(ch) else ch for ch in line)


def _breaks_lines(ch: str) -> bool:
    # Cc: C0 and C1 controls (tab too: formats treat it unevenly); Zl/Zp: U+2028/U+2029,
    # which some parsers take as line ends; Cs: lone surrogates, which cannot be encoded.
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")


def display_lines(lines: tuple[str, ...]) -> list[str]:
    """``lines`` through :func:`display_line`, without the lines left empty (an empty line
    ends a cue in SRT and WebVTT)."""
    return [clean for line in lines if (clean := display_line(line)).strip()]


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalpha()


def needs_space(before: str, after: str) -> bool:
    """Whether a space goes between two tokens: not between two CJK characters."""
    return bool(before) and not (_is_cjk(before[-1]) and after and _is_cjk(after[0]))


def join_words(words: list[str]) -> str:
    """Join tokens with spaces, except between two CJK characters (scripts without spaces)."""
    out = ""
    for w in words:
        if needs_space(out, w):
            out += " "
        out += w
    return out
