"""The burned-in preview really shows subtitle pixels while a cue is on screen, and only then."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.subtitles.formats.ass import to_ass
from media_pipeline.subtitles.model import Cue
from media_pipeline.subtitles.render_preview import (
    FONTS_DIR,
    PreviewError,
    PreviewOptions,
    render_preview,
)

SMALL = PreviewOptions(seconds=3.0, width=640, height=360, fps=10)


def lavfi(out: Path, *sources: str) -> Path:
    args = [x for src in sources for x in ("-f", "lavfi", "-i", src)]
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *args, "-t", "4",
                    "-c:v", "mpeg4", "-c:a", "aac", str(out)], check=True)
    return out


def frame(path: Path, at_s: float, size: tuple[int, int]) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", str(at_s),
                          "-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(size[1], size[0])


def streams(path: Path) -> list[str]:
    import av

    with av.open(str(path)) as container:
        return sorted(s.type for s in container.streams)


@pytest.fixture()
def ass_file(tmp_path: Path) -> Path:
    path = tmp_path / "subs.ass"
    path.write_text(to_ass([Cue(1000, 2000, ("Préview — ünïcode",))]), encoding="utf-8")
    return path


def test_video_preview_shows_the_cue_only_while_it_is_on(tmp_path: Path, ass_file: Path) -> None:
    video = lavfi(tmp_path / "black.mp4", "color=c=black:s=320x240:r=10", "sine=f=300:r=16000")
    out = render_preview(video, ass_file, tmp_path / "p.mp4", True, SMALL)
    assert streams(out) == ["audio", "video"]
    during, after = frame(out, 1.5, (640, 360)), frame(out, 2.6, (640, 360))
    bottom = slice(240, 360)  # bottom-centred subtitles
    assert (during[bottom] > 160).sum() > 100  # white glyphs on black
    assert (after > 160).sum() == 0
    assert (during[:120] > 160).sum() == 0  # nothing at the top


def test_audio_only_preview_draws_a_waveform(tmp_path: Path, ass_file: Path) -> None:
    audio = tmp_path / "tone.wav"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=f=300:r=16000", "-t", "4", str(audio)], check=True)
    out = render_preview(audio, ass_file, tmp_path / "a.mp4", False, SMALL)
    assert streams(out) == ["audio", "video"]
    during, after = frame(out, 1.5, (640, 360)), frame(out, 2.6, (640, 360))
    bottom = slice(270, 360)
    assert (during[bottom] > 200).sum() > (after[bottom] > 200).sum() + 50


def test_the_shipped_font_and_its_licence() -> None:
    assert (FONTS_DIR / "DejaVuSans.ttf").stat().st_size > 100_000
    assert "bitstream-vera" in (FONTS_DIR / "LICENSE-DejaVu.txt").read_text().lower()


def test_bad_input_gives_a_short_error(tmp_path: Path, ass_file: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_text(json.dumps({"not": "media"}))
    with pytest.raises(PreviewError) as err:
        render_preview(bad, ass_file, tmp_path / "x.mp4", True, SMALL)
    assert len(err.value.user_message) < 300
    assert not (tmp_path / "x.mp4").exists()
