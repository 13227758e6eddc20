"""Confidence report: mean word probability and the words and cues a reviewer should check."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.model import Cue

DEFAULT_THRESHOLD = 0.5


class LowWord(NamedTuple):
    """A word whose probability is below the threshold."""

    text: str
    start_ms: int
    end_ms: int
    probability: float


class LowCue(NamedTuple):
    """A cue (by its position in the cue list) holding at least one low-probability word."""

    cue_index: int
    start_ms: int
    end_ms: int
    text: str
    min_probability: float


@dataclass(frozen=True)
class ConfidenceReport:
    """Per-file confidence; lists are in time order. ``mean_word_probability`` is None
    when there are no words (silence or music-only input)."""

    mean_word_probability: float | None
    word_count: int
    threshold: float
    low_words: tuple[LowWord, ...]
    low_cues: tuple[LowCue, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict; probabilities rounded to 4 places."""
        mean = self.mean_word_probability
        return {
            "mean_word_probability": None if mean is None else round(mean, 4),
            "word_count": self.word_count,
            "threshold": self.threshold,
            "low_words": [
                {
                    "text": w.text,
                    "start_ms": w.start_ms,
                    "end_ms": w.end_ms,
                    "p": round(w.probability, 4),
                }
                for w in self.low_words
            ],
            "low_cues": [
                {
                    "index": c.cue_index,
                    "start_ms": c.start_ms,
                    "end_ms": c.end_ms,
                    "text": c.text,
                    "min_p": round(c.min_probability, 4),
                }
                for c in self.low_cues
            ],
        }

    def to_json(self) -> str:
        """The report as indented UTF-8 JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_markdown(self, limit: int = 20) -> str:
        """A summary line and a table of the ``limit`` least confident cues, worst first."""
        mean = self.mean_word_probability
        summary = (
            f"Mean word probability: {'n/a' if mean is None else f'{mean:.3f}'} "
            f"over {self.word_count} words; {len(self.low_words)} words and "
            f"{len(self.low_cues)} cues below {self.threshold:g}."
        )
        if not self.low_cues:
            return summary + "\n"
        # Worst first, so that a truncated table still shows what most needs review.
        ranked = sorted(self.low_cues, key=lambda c: (c.min_probability, c.start_ms))
        rows = [
            "| # | start | end | min p | text |",
            "|---:|---|---|---:|---|",
            *(
                f"| {c.cue_index + 1} | {format_ms(c.start_ms)} | {format_ms(c.end_ms)} "
                f"| {c.min_probability:.2f} | {_cell(c.text)} |"
                for c in ranked[: max(limit, 0)]
            ),
        ]
        hidden = len(ranked) - max(limit, 0)
        if hidden > 0:
            rows += ["", f"… and {hidden} more cues."]
        return "\n".join([summary, "", *rows]) + "\n"


def confidence_report(
    cues: Sequence[Cue], threshold: float = DEFAULT_THRESHOLD
) -> ConfidenceReport:
    """Collect word probabilities from ``cues``; cues without timed words are not judged."""
    if not 0.0 <= threshold <= 1.0:
        raise ConfigurationError("the confidence threshold must be between 0 and 1")
    probabilities: list[float] = []
    low_words: list[LowWord] = []
    low_cues: list[LowCue] = []
    for index, cue in enumerate(cues):
        if not cue.words:
            continue
        probabilities.extend(w.probability for w in cue.words)
        lows = [w for w in cue.words if w.probability < threshold]
        low_words.extend(LowWord(w.text, w.start_ms, w.end_ms, w.probability) for w in lows)
        if lows:
            worst = min(w.probability for w in lows)
            low_cues.append(LowCue(index, cue.start_ms, cue.end_ms, cue.text, worst))
    mean = sum(probabilities) / len(probabilities) if probabilities else None
    return ConfidenceReport(
        mean_word_probability=mean,
        word_count=len(probabilities),
        threshold=threshold,
        low_words=tuple(low_words),
        low_cues=tuple(low_cues),
    )


def format_ms(ms: int) -> str:
    """``H:MM:SS.mmm`` for tables."""
    seconds, millis = divmod(max(ms, 0), 1000)
    minutes, secs = divmod(seconds, 60)
    hours, mins = divmod(minutes, 60)
    return f"{hours}:{mins:02d}:{secs:02d}.{millis:03d}"


def _cell(text: str) -> str:
    # A pipe would end the table cell and a newline the row.
    return " ".join(text.split()).replace("|", "\\|")
