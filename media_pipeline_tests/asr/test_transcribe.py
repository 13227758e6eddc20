import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media_pipeline.asr.models import load_whisper, resolve_model_dir
from media_pipeline.asr.transcribe import (
    AsrOptions,
    SpeechClip,
    Transcript,
    transcribe_clips,
    transcribe_regions,
)
from media_pipeline.audio.decode import decode_mono
from media_pipeline.audio.loudness import normalize_loudness
from media_pipeline.audio.vad import speech_regions
from media_pipeline.errors import ModelUnavailableError
from media_pipeline_tests.conftest import make_tone_file, wer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Any:
    model_dir = resolve_model_dir("tiny.en", tmp_path_factory.mktemp("models"))
    return load_whisper(str(model_dir), "cpu", "int8", 0)


def run(model: Any, path: Path) -> Transcript:
    audio, _ = normalize_loudness(decode_mono(path), 16000, -20.0)
    return transcribe_regions(model, audio, 16000, speech_regions(audio, 16000),
                              AsrOptions(english_only=True))


def test_jfk_transcript_and_word_times(tiny: Any, corpus: Path) -> None:
    t = run(tiny, corpus / "jfk" / "jfk.flac")
    text = " ".join(s.text for s in t.segments)
    assert wer((corpus / "jfk" / "jfk.txt").read_text(), text) == 0.0
    americans = [w for w in t.words if w.text.strip(",.").lower() == "americans"]
    assert len(americans) == 1
    assert americans[0].start_ms <= 1800 <= americans[0].end_ms  # openai/whisper's assertion
    times = [(w.start_ms, w.end_ms) for w in t.words]
    assert all(s <= e for s, e in times)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(times))
    assert 0 <= times[0][0] < 1000 and 10000 < times[-1][1] <= 11000
    # JFK pauses after "Americans": the silence the VAD cut must not end up inside "ask".
    ask = next(w for w in t.words if w.text.strip(",.").lower() == "ask")
    assert ask.start_ms - americans[0].end_ms >= 300


def test_librispeech_clip_under_wer_bound(tiny: Any, corpus: Path) -> None:
    clip = corpus / "librispeech" / "2412-153948-0000.flac"
    t = run(tiny, clip)
    assert wer(clip.with_suffix(".txt").read_text(), " ".join(s.text for s in t.segments)) <= 0.1


def test_times_are_on_the_source_timeline_after_cutting_silence(
        tiny: Any, corpus: Path, tmp_path: Path) -> None:
    # 6 s of silence, then JFK: every word must move 6 s later than in the plain file.
    import subprocess

    from media_pipeline.audio.ffmpeg import ffmpeg_exe

    padded = tmp_path / "padded.wav"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-i",
                    str(corpus / "jfk" / "jfk.wav"), "-af", "adelay=6000", str(padded)], check=True)
    plain, shifted = run(tiny, corpus / "jfk" / "jfk.wav"), run(tiny, padded)
    a = {w.text: w.start_ms for w in plain.words}
    b = {w.text: w.start_ms for w in shifted.words}
    common = set(a) & set(b)
    assert len(common) >= 10
    shifts = sorted(b[k] - a[k] for k in common)
    assert abs(shifts[len(shifts) // 2] - 6000) <= 50  # the whole timeline moved by 6 s
    assert sum(abs(s - 6000) <= 200 for s in shifts) >= 0.8 * len(shifts)


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_no_words_from_silence_or_noise(tiny: Any, tmp_path: Path, kind: str) -> None:
    t = run(tiny, make_tone_file(tmp_path / f"{kind}.wav", 30, kind))
    assert t.segments == ()


def test_model_names_that_need_a_download_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as info:
        resolve_model_dir("large-v3-not-here", tmp_path)
    assert "offline" in info.value.user_message


def test_bundled_base_is_reassembled_once(tmp_path: Path) -> None:
    first = resolve_model_dir("base", tmp_path)
    stamp = (first / "model.bin").stat().st_mtime_ns
    again = resolve_model_dir("base", tmp_path)
    assert again == first and (again / "model.bin").stat().st_mtime_ns == stamp
    assert (again / "config.json").exists() and (again / "tokenizer.json").exists()


def test_files_batched_together_read_as_each_alone(tiny: Any, corpus: Path) -> None:
    # Short files share batches (a window never spans two of them): every file reads the
    # same words as alone, at the same times (faster-whisper may shorten a window's first
    # word when the window does not start the audio), and a file without speech stays empty.
    paths = [corpus / "jfk" / "jfk.flac", corpus / "librispeech" / "2412-153948-0000.flac",
             corpus / "librispeech" / "61-70968-0000.flac"]
    clips = []
    for path in paths:
        audio, _ = normalize_loudness(decode_mono(path), 16000, -20.0)
        clips.append(SpeechClip(audio, 16000, speech_regions(audio, 16000)))
    clips.insert(1, SpeechClip(np.zeros(16000, dtype=np.float32), 16000, []))
    options = AsrOptions(english_only=True)
    together = transcribe_clips(tiny, clips, options)
    alone = [transcribe_regions(tiny, c.samples, 16000, c.regions, options) for c in clips]
    assert [[s.text for s in t.segments] for t in together] == \
        [[s.text for s in t.segments] for t in alone]
    pairs = [(a, b) for t, u in zip(together, alone, strict=True)
             for a, b in zip(t.words, u.words, strict=True)]
    assert all(a.end_ms == b.end_ms and abs(a.start_ms - b.start_ms) <= 100 for a, b in pairs)
    assert sum(a.start_ms != b.start_ms for a, b in pairs) <= len(clips)
    assert together[1].segments == () and together[0].segments and together[3].segments
    assert [t.speech_ms for t in together] == [t.speech_ms for t in alone]


def test_two_lanes_decode_the_same_words_as_one(tiny: Any, corpus: Path,
                                                 tmp_path: Path) -> None:
    # A model with two workers decodes two batches at once, the batch size shared among
    # them (asr/transcribe.py); each window is decoded as it is with one worker.
    assert tiny.model.num_workers == 2 or len(os.sched_getaffinity(0)) < 2
    from faster_whisper import WhisperModel

    one = WhisperModel(str(resolve_model_dir("tiny.en", tmp_path)), device="cpu",
                       compute_type="int8", cpu_threads=2, num_workers=1)
    audio, _ = normalize_loudness(decode_mono(corpus / "long" / "fairytale-en.ogg"), 16000,
                                  -20.0)
    regions = speech_regions(audio, 16000)
    options = AsrOptions(english_only=True, batch_size=4)
    lanes = transcribe_regions(tiny, audio, 16000, regions, options)
    alone = transcribe_regions(one, audio, 16000, regions, options)
    assert len(lanes.segments) >= 4
    assert [s.text for s in lanes.segments] == [s.text for s in alone.segments]
    assert [(w.start_ms, w.end_ms) for w in lanes.words] == \
        [(w.start_ms, w.end_ms) for w in alone.words]
