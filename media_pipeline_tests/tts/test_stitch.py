from pathlib import Path

import pytest

from media_pipeline.tts.errors import AudioProcessingError
from media_pipeline.tts.stitch import AudioStitcher, decoded_num_samples, mp3_frame_samples
from media_pipeline.tts.wavio import pcm_to_wav
from media_pipeline_tests.tts.fakes import tone_pcm


@pytest.mark.parametrize("rate", [22050, 44100])
def test_duration_is_the_sum_of_chunks_within_one_frame(rate: int, tmp_path: Path) -> None:
    lengths = [int(rate * 0.7) + 13, int(rate * 1.3) + 7, 999, rate // 2]
    wavs = [pcm_to_wav(tone_pcm(n, rate, 300 + 100 * i), rate) for i, n in enumerate(lengths)]
    out = tmp_path / "deep" / "narration.mp3"
    result = AudioStitcher().stitch(wavs, out)

    assert out.is_file() and result.path == out
    assert result.num_samples == sum(lengths)
    decoded = decoded_num_samples(out)
    assert abs(decoded - sum(lengths)) <= mp3_frame_samples(rate)
    assert result.duration_ms == round(sum(lengths) * 1000 / rate)
    assert result.chunk_offsets_ms[0] == 0
    assert sum(result.chunk_durations_ms) == result.duration_ms
    assert result.chunk_offsets_ms[2] == round((lengths[0] + lengths[1]) * 1000 / rate)
    assert [p.name for p in out.parent.iterdir()] == ["narration.mp3"]


def test_frame_sizes() -> None:
    assert mp3_frame_samples(44100) == 1152
    assert mp3_frame_samples(22050) == 576


def test_failure_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "n.mp3"
    wav = pcm_to_wav(tone_pcm(1000), 22050)
    with pytest.raises(AudioProcessingError) as info:
        AudioStitcher(ffmpeg_exe=str(tmp_path / "no-ffmpeg")).stitch([wav], out)
    assert info.value.user_message == "Audio processing failed"
    assert list(tmp_path.iterdir()) == []


def test_rejects_mixed_rates_and_non_wav(tmp_path: Path) -> None:
    a = pcm_to_wav(tone_pcm(100, 22050), 22050)
    b = pcm_to_wav(tone_pcm(100, 16000), 16000)
    cases = [
        ([a, b], "different sample rates"),
        ([b"ID3 not a wav"], "not a WAV"),
        ([], "no chunk"),
    ]
    for wavs, detail in cases:
        with pytest.raises(AudioProcessingError) as info:
            AudioStitcher().stitch(wavs, tmp_path / "x.mp3")
        assert detail in info.value.detail
        assert info.value.user_message == "Audio processing failed"
    assert list(tmp_path.iterdir()) == []


def test_replaces_an_existing_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "n.mp3"
    out.write_bytes(b"old")
    AudioStitcher().stitch([pcm_to_wav(tone_pcm(22050), 22050)], out)
    assert out.read_bytes()[:3] != b"old"
    assert decoded_num_samples(out) == 22050
