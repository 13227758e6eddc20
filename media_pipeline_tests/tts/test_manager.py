import logging
from pathlib import Path

import pytest

from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.errors import (
    AudioProcessingError,
    NarrationCancelledError,
    NarrationInputError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    UnexpectedNarrationError,
)
from media_pipeline.tts.manager import (
    NarrationResult,
    narration_key,
    synthesize_narration,
    user_message_for,
)
from media_pipeline.tts.providers.base import TimedWord
from media_pipeline.tts.stitch import AudioStitcher, decoded_num_samples
from media_pipeline_tests.tts.fakes import MS_PER_CHAR, RATE, FakeProvider

# Five sentences of under 40 characters each: five chunks with FakeProvider's limit.
TEXT = (
    "The first sentence is here. A second one follows it. "
    "Then comes the third. The fourth is short. And the fifth ends it."
)


def run(
    provider: FakeProvider, tmp_path: Path, stitcher: AudioStitcher | None = None
) -> tuple[NarrationResult, list[tuple[int, int]], list[float]]:
    progress: list[tuple[int, int]] = []
    sleeps: list[float] = []
    result = synthesize_narration(
        TEXT,
        provider,
        "v1",
        1.0,
        tmp_path / "out" / "job.mp3",
        lambda done, total: progress.append((done, total)),
        sleep=sleeps.append,
        stitcher=stitcher,
    )
    return result, progress, sleeps


def test_full_narration(tmp_path: Path) -> None:
    provider = FakeProvider()
    result, progress, sleeps = run(provider, tmp_path)
    assert progress == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert sleeps == []
    assert len(result.chunks) == 5 and provider.calls == [c.text for c in result.chunks]
    expected_ms = sum(len(c.text) for c in result.chunks) * MS_PER_CHAR
    assert result.duration_ms == expected_ms
    assert abs(decoded_num_samples(result.mp3_path) - expected_ms * RATE / 1000) <= 576
    assert result.timing_type == "word"
    assert [(w.text, w.offset) for w in result.words] == [
        (w.text, w.offset) for w in word_spans(TEXT)
    ]
    starts = [w.start_ms for w in result.words]
    assert starts == sorted(starts) and result.words[-1].end_ms == result.duration_ms
    # Chunk 2 starts after chunk 1's audio: "A second one follows it." opens at its offset.
    second = result.words[5]
    assert (second.text, second.start_ms) == ("A", len(result.chunks[0].text) * MS_PER_CHAR)
    assert [s.text for s in result.sentences][2] == "Then comes the third."
    assert result.sentences[-1].end_ms == result.duration_ms


def test_failure_on_chunk_three_of_five(tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    provider = FakeProvider(fail={3: ProviderError("Voice model overloaded")})
    with pytest.raises(ProviderError) as info:
        synthesize_narration(
            TEXT,
            provider,
            "v1",
            1.0,
            tmp_path / "out" / "a.mp3",
            lambda d, t: progress.append((d, t)),
        )
    assert info.value.user_message == "Voice model overloaded"
    assert progress == [(0, 5), (1, 5), (2, 5)]
    assert len(provider.calls) == 3
    assert not (tmp_path / "out").exists()


def test_auth_error_fails_at_once(tmp_path: Path) -> None:
    provider = FakeProvider(fail={1: ProviderAuthError()})
    with pytest.raises(ProviderAuthError) as info:
        run(provider, tmp_path)
    assert info.value.user_message == "Provider authentication failed"
    assert len(provider.calls) == 1


def test_rate_limit_on_a_chunk_is_retried(tmp_path: Path) -> None:
    provider = FakeProvider(fail={2: ProviderRateLimitError(), 3: ProviderRateLimitError()})
    result, progress, sleeps = run(provider, tmp_path)
    assert sleeps == [1.0, 2.0]
    assert progress[-1] == (5, 5) and len(provider.calls) == 7
    assert result.mp3_path.is_file()


def test_rate_limit_exhaustion_fails(tmp_path: Path) -> None:
    provider = FakeProvider(fail={n: ProviderRateLimitError() for n in range(2, 6)})
    with pytest.raises(ProviderRateLimitError) as info:
        run(provider, tmp_path)
    assert info.value.user_message == "Provider rate limit exceeded; try again later"
    assert len(provider.calls) == 5


def test_stitching_failure(tmp_path: Path) -> None:
    with pytest.raises(AudioProcessingError) as info:
        run(FakeProvider(wav=lambda text: b"garbage"), tmp_path)
    assert info.value.user_message == "Audio processing failed"
    with pytest.raises(AudioProcessingError):
        run(FakeProvider(), tmp_path, stitcher=AudioStitcher(str(tmp_path / "missing")))


def test_timing_merge_failure_falls_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def backwards(text: str, duration_ms: int) -> list[TimedWord]:
        return [TimedWord("x", 500, 600, 0), TimedWord("y", 100, 200, 2)]

    with caplog.at_level(logging.WARNING):
        result, progress, _ = run(FakeProvider(words=backwards), tmp_path)
    assert result.timing_type == "sentence" and result.words == []
    assert len(result.sentences) == 5
    assert result.sentences[0].start_ms == 0
    assert result.sentences[-1].end_ms == result.duration_ms
    assert "timing merge failed" in caplog.text
    assert progress[-1] == (5, 5)


def test_provider_without_words_gets_estimated_sentences(tmp_path: Path) -> None:
    result, _, _ = run(FakeProvider(words=lambda text, ms: None), tmp_path)
    assert result.timing_type == "sentence"
    assert next(s.text for s in result.sentences) == "The first sentence is here."
    ends = [s.end_ms for s in result.sentences]
    assert ends == sorted(ends) and ends[-1] == result.duration_ms


def test_unexpected_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    provider = FakeProvider(fail={2: KeyError("internal detail")})
    with caplog.at_level(logging.ERROR), pytest.raises(UnexpectedNarrationError) as info:
        run(provider, tmp_path)
    assert info.value.user_message == "An unexpected error occurred"
    assert "internal detail" not in info.value.user_message
    assert "Traceback" in caplog.text and "internal detail" in caplog.text
    assert user_message_for(KeyError("x")) == "An unexpected error occurred"
    assert user_message_for(info.value) == "An unexpected error occurred"


def test_missing_engine_is_a_provider_error(tmp_path: Path) -> None:
    provider = FakeProvider(fail={1: ImportError("install it with: pip install x")})
    with pytest.raises(ProviderError, match="pip install x"):
        run(provider, tmp_path)


def test_cancel_from_progress_callback(tmp_path: Path) -> None:
    def cancel_after_two(done: int, total: int) -> None:
        if done == 2:
            raise NarrationCancelledError()

    provider = FakeProvider()
    with pytest.raises(NarrationCancelledError):
        synthesize_narration(TEXT, provider, "v1", 1.0, tmp_path / "c.mp3", cancel_after_two)
    assert len(provider.calls) == 2 and not (tmp_path / "c.mp3").exists()


@pytest.mark.parametrize(
    ("text", "voice", "speed", "message"),
    [
        ("   ", "v1", 1.0, "Text is empty"),
        (" — … ", "v1", 1.0, "Text has no words to speak"),
        ("Hi.", "v9", 1.0, "Unknown voice 'v9' for fake; known: v1"),
        ("Hi.", "v1", 3.0, "Speed must be between 0.5 and 2 for fake"),
    ],
)
def test_bad_requests(text: str, voice: str, speed: float, message: str, tmp_path: Path) -> None:
    provider = FakeProvider()
    with pytest.raises(NarrationInputError) as info:
        synthesize_narration(text, provider, voice, speed, tmp_path / "x.mp3")
    assert info.value.user_message == message and provider.calls == []


def test_narration_key() -> None:
    key = narration_key("Hello.", "joe", 1.0, "piper")
    assert len(key) == 16 and int(key, 16) >= 0
    assert key == narration_key("  Hello.\n", "joe", 1, "piper")
    assert key != narration_key("Hello!", "joe", 1.0, "piper")
    assert key != narration_key("Hello.", "amy", 1.0, "piper")
    assert key != narration_key("Hello.", "joe", 1.25, "piper")
    assert key != narration_key("Hello.", "joe", 1.0, "elevenlabs")
