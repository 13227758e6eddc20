"""Shared by the benchmarks: where the corpus is, references, WER, writing results."""

import json
from pathlib import Path
from typing import Any

from media_pipeline.text.wer import normalized_words, word_error_rate

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "benchmarks" / "results"


def words(text: str) -> list[str]:
    """Lower-case words as the acceptance checks count them (SRT/VTT timing lines dropped)."""
    return normalized_words(text, spell_numbers=False)


def wer(reference: str, hypothesis: str) -> float:
    """WER as the acceptance checks compute it (digits are not spelled out)."""
    return word_error_rate(reference, hypothesis, spell_numbers=False)


def reference_for(clip: Path) -> str | None:
    ref = clip.with_suffix(".txt")
    return ref.read_text(encoding="utf-8") if ref.exists() else None


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
