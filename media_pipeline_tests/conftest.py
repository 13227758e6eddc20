"""Shared fixtures: the corpus beside the checkout, temp data roots, generated bad media."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.text.wer import word_error_rate

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """Each test starts from the same environment: opening a cluster's instance exports its
    PostgreSQL URL (Dagster reads it from there), which later tests' settings would pick up
    once that cluster's database is gone."""
    before = dict(os.environ)
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]
    os.environ.update(before)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus (real audio with human references); tests need it."""
    if not CORPUS.is_dir():
        pytest.fail(f"the test corpus is missing at {CORPUS}")
    return CORPUS


def make_tone_file(path: Path, seconds: float, kind: str = "sine", rate: int = 16000) -> Path:
    """Write a WAV of silence, white noise or a 440 Hz sine with ffmpeg's lavfi sources."""
    source = {
        "silence": f"anullsrc=r={rate}:cl=mono",
        "noise": f"anoisesrc=r={rate}:a=0.3:c=white",
        "sine": f"sine=f=440:r={rate}",
    }[kind]
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", source, "-t", str(seconds), "-ac", "1", str(path)], check=True)
    return path


@pytest.fixture()
def bad_inputs(tmp_path: Path, corpus: Path) -> dict[str, Path]:
    """A text file named .mp3, an empty file, a truncated MP4, and a video with no audio."""
    d = tmp_path / "bad"
    d.mkdir()
    (d / "text.mp3").write_text("this is not audio\n")
    (d / "empty.wav").write_bytes(b"")
    full = d / "full.mp4"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "color=c=black:s=64x64:r=10",
                    "-i", str(corpus / "jfk" / "jfk.wav"), "-t", "5", "-shortest",
                    "-c:v", "mpeg4", "-c:a", "aac", str(full)], check=True)
    data = full.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 3])
    full.unlink()
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "color=c=blue:s=64x64:r=10", "-t", "2",
                    "-c:v", "mpeg4", str(d / "video_only.mp4")], check=True)
    return {p.stem: p for p in d.iterdir()}


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate as the acceptance scripts compute it (SRT/VTT timing lines ignored)."""
    return word_error_rate(reference, hypothesis, spell_numbers=False)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
