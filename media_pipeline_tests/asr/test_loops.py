"""Loop detection in decoded windows, and the re-decode that breaks a loop (no model)."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from media_pipeline.asr.loops import (
    NO_REPEAT_NGRAM,
    longest_run,
    looks_looped,
    redecode_window,
)
from media_pipeline.asr.models import batch_size_for, device_error


def test_loops_are_runs_of_one_word_or_text_that_compresses_too_well() -> None:
    assert longest_run("Okay, okay. Yeah, okay, okay, okay, okay, okay") == 5
    assert looks_looped("Okay, okay. Yeah, okay, okay, okay, okay, okay")
    assert not looks_looped("Okay, okay. Okay, we copy.")  # three in a row is speech
    assert looks_looped("All right, that's it. " * 8)  # a phrase loop: gzip ratio > 2.4
    assert not looks_looped("")


def test_real_speech_is_not_taken_for_a_loop(corpus: Path) -> None:
    story = (corpus / "long" / "fairytale-en.txt").read_text(encoding="utf-8")
    sentences = [s for s in story.replace("\n", " ").split(". ") if s.strip()]
    assert len(sentences) > 10
    windows = [". ".join(sentences[i:i + 6]) for i in range(0, len(sentences), 6)]
    assert not any(looks_looped(w) for w in windows)


def _segment(text: str, start: float) -> Any:
    words = [SimpleNamespace(word=f" {w}", start=start + i * 0.3, end=start + i * 0.3 + 0.2,
                             probability=0.9) for i, w in enumerate(text.split())]
    return SimpleNamespace(start=start, end=start + 0.3 * len(words), text=text, words=words,
                           avg_logprob=-0.3, no_speech_prob=0.1)


def test_redecode_forbids_repeats_and_drops_what_still_loops() -> None:
    calls: list[dict[str, Any]] = []

    class Pipeline:
        def transcribe(self, audio: np.ndarray, **kwargs: Any) -> tuple[list[Any], Any]:
            calls.append(kwargs)
            return [_segment("we copy you down eagle", 12.0),
                    _segment("okay okay okay okay okay", 20.0)], None

    segs = redecode_window(Pipeline(), np.zeros(16000 * 40, np.float32), 10_000, 40_000,
                           "en", "transcribe", 5)
    assert [s.text for s in segs] == ["we copy you down eagle"]
    assert segs[0].words[0].start == 12.0  # already on the cut timeline: no second shift
    assert calls[0]["no_repeat_ngram_size"] == NO_REPEAT_NGRAM
    assert calls[0]["clip_timestamps"] == [{"start": 10.0, "end": 40.0}]


def test_cpu_batches_fit_the_memory_budget_and_gpu_batches_are_full(tmp_path: Path) -> None:
    small, big = tmp_path / "small", tmp_path / "big"
    for folder, size_mb in ((small, 75), (big, 145)):
        folder.mkdir()
        with (folder / "model.bin").open("wb") as f:
            f.truncate(size_mb * 2**20)
    assert batch_size_for(str(small), "cpu", 5) == 4  # tiny.en's size
    assert batch_size_for(str(big), "cpu", 5) == 2  # base's size
    assert batch_size_for(str(big), "cpu", 1) == 8
    assert batch_size_for(str(big), "cuda", 5) == 8


def test_a_gpu_without_cuda_12_says_how_to_fix_it() -> None:
    error = device_error("cuda", "float16",
                         RuntimeError("Library libcublas.so.12 is not found or cannot be loaded"))
    assert "libcublas.so.12" in error.user_message and "device=cpu" in error.user_message
