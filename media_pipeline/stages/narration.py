"""What each narration asset does to the narration's files, without Dagster.

Each step reads its inputs from the ``NarrationStore``, writes its own file atomically and
returns a JSON-ready summary for metadata. Failures are ``MediaPipelineError`` subclasses
whose ``user_message`` follows seed 003's table (the ``tts`` layer raises them).
"""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from media_pipeline.store.narration import NarrationStore
from media_pipeline.subtitles.export import write_all
from media_pipeline.subtitles.model import Word
from media_pipeline.text.profiles import get_profile
from media_pipeline.text.segmentation import segment_words
from media_pipeline.text.wer import normalized_words, word_error_rate
from media_pipeline.tts.chunker import Chunk, TextChunker
from media_pipeline.tts.manager import ProgressCallback, synthesize_narration
from media_pipeline.tts.providers.base import TimedSentence, TimedWord, TTSProvider
from media_pipeline.tts.retry import Sleep
from media_pipeline.tts.timing import estimate_word_timings

SUBTITLE_FORMATS = ("srt", "vtt")


class StoredChunker(TextChunker):
    """Hands the manager the chunks ``narration_chunks`` already made (same text, same cuts)."""

    def __init__(self, chunks: list[Chunk]) -> None:
        super().__init__()
        self._chunks = chunks

    def chunk(self, text: str, max_chunk_chars: int) -> list[Chunk]:
        return list(self._chunks)


def chunks_step(store: NarrationStore, key: str, provider: TTSProvider) -> dict[str, Any]:
    """Sentence-aware chunks no longer than the provider's ``max_chunk_chars``."""
    request = store.load_request(key)
    limit = provider.capabilities.max_chunk_chars
    chunks = TextChunker().chunk(request.text, limit)
    store.write_json(key, "chunks.json", {
        "max_chunk_chars": limit,
        "chunks": [{"index": c.index, "text": c.text, "offset": c.offset} for c in chunks]})
    return {"total_chunks": len(chunks), "max_chunk_chars": limit,
            "characters": len(request.text), "provider": request.provider}


def load_chunks(store: NarrationStore, key: str) -> list[Chunk]:
    data = store.read_json(key, "chunks.json")
    if data is None:
        raise FileNotFoundError(f"chunks of narration {key} are missing")
    return [Chunk(int(c["index"]), str(c["text"]), int(c["offset"])) for c in data["chunks"]]


def _word(w: TimedWord) -> dict[str, Any]:
    return {"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms, "offset": w.offset}


def _sentence(s: TimedSentence) -> dict[str, Any]:
    return {"text": s.text, "start_ms": s.start_ms, "end_ms": s.end_ms, "offset": s.offset}


def audio_step(store: NarrationStore, key: str, provider: TTSProvider,
               on_progress: ProgressCallback, sleep: Sleep,
               logger: logging.Logger | None = None) -> dict[str, Any]:
    """Synthesize every chunk (rate limits retried), stitch ``<key>.mp3``, merge timings."""
    request = store.load_request(key)
    chunks = load_chunks(store, key)
    result = synthesize_narration(
        request.text, provider, request.voice, request.speed, store.audio_path(key),
        on_progress, sleep=sleep, chunker=StoredChunker(chunks), logger=logger)
    store.write_json(key, "synthesis.json", {
        "duration_ms": result.duration_ms, "sample_rate": result.sample_rate,
        "timing_type": result.timing_type, "chunk_durations_ms": result.chunk_durations_ms,
        "words": [_word(w) for w in result.words],
        "sentences": [_sentence(s) for s in result.sentences]})
    return {"duration_ms": result.duration_ms, "sample_rate": result.sample_rate,
            "total_chunks": len(chunks), "timing_type": result.timing_type,
            "mp3": str(result.mp3_path)}


def timings_step(store: NarrationStore, key: str) -> dict[str, Any]:
    """The timing document the API serves: word (or sentence) times on the MP3's timeline."""
    synthesis = store.read_json(key, "synthesis.json")
    if synthesis is None:
        raise FileNotFoundError(f"synthesis of narration {key} is missing")
    duration = int(synthesis["duration_ms"])
    words = [w for w in synthesis["words"] if 0 <= w["start_ms"] <= w["end_ms"] <= duration]
    document = {
        "job_id": key, "format": "mp3", "duration_ms": duration,
        "sample_rate": int(synthesis["sample_rate"]),
        "timing_data": {"timing_type": synthesis["timing_type"], "words": words,
                        "sentences": synthesis["sentences"]},
    }
    store.write_json(key, "timings.json", document)
    return {"timing_type": synthesis["timing_type"], "word_count": len(words),
            "sentence_count": len(synthesis["sentences"]), "duration_ms": duration}


def timed_words(document: dict[str, Any]) -> list[Word]:
    """Words of a timing document; estimated within each sentence when only those are timed."""
    data = document["timing_data"]
    if data["words"]:
        return [Word(w["text"], int(w["start_ms"]), int(w["end_ms"])) for w in data["words"]]
    words: list[Word] = []
    for s in data["sentences"]:
        span = int(s["end_ms"]) - int(s["start_ms"])
        words += [Word(w.text, int(s["start_ms"]) + w.start_ms, int(s["start_ms"]) + w.end_ms)
                  for w in estimate_word_timings(str(s["text"]), span)]
    return words


def subtitles_step(store: NarrationStore, key: str, profile_name: str) -> dict[str, Any]:
    """SRT and VTT cut from the merged word timings by the subtitle segmentation."""
    document = store.read_json(key, "timings.json")
    if document is None:
        raise FileNotFoundError(f"timings of narration {key} are missing")
    cues = segment_words(timed_words(document), get_profile(profile_name))
    paths = write_all(cues, store.directory(key), "narration", SUBTITLE_FORMATS)
    return {"cue_count": len(cues), "profile": profile_name,
            **{fmt: str(p) for fmt, p in paths.items()}}


def subtitle_paths(store: NarrationStore, key: str) -> dict[str, Path]:
    return {fmt: store.path(key, f"narration.{fmt}") for fmt in SUBTITLE_FORMATS}


Transcribe = Callable[[Path], str]


def round_trip_step(store: NarrationStore, key: str, transcribe: Transcribe, model: str,
                    max_wer: float) -> dict[str, Any]:
    """Transcribe ``<key>.mp3`` back and measure its WER against the narration's text."""
    request = store.load_request(key)
    hypothesis = transcribe(store.audio_path(key))
    wer = round(word_error_rate(request.text, hypothesis), 4)
    result = {"wer": wer, "passed": wer <= max_wer, "max_wer": max_wer, "model": model,
              "reference_words": len(normalized_words(request.text)),
              "hypothesis": hypothesis[:2000]}
    store.write_json(key, "round_trip.json", result)
    return result
