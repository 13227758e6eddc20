"""A short MP4 preview with the ASS subtitles burned in by ffmpeg's libass filter.

Video input keeps its picture; audio-only input gets a drawn waveform (ffmpeg's
``showwaves``) as picture. Glyphs come from the DejaVu Sans font shipped in
``media_pipeline/fonts`` (Bitstream Vera licence, see LICENSE-DejaVu.txt there), so the
result does not depend on the fonts installed on the machine.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.errors import MediaPipelineError

FONTS_DIR = Path(__file__).resolve().parents[1] / "fonts"


class PreviewError(MediaPipelineError):
    """ffmpeg could not render the preview; ``detail`` is the last line it printed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the preview could not be rendered ({detail})")
        self.detail = detail


@dataclass(frozen=True)
class PreviewOptions:
    """How the preview looks; ``seconds`` from the start of the file are rendered."""

    seconds: float = 30.0
    width: int = 1280
    height: int = 720
    fps: int = 25
    crf: int = 28
    wave_color: str = "0x4fa3ff"


def _filter_path(path: Path) -> str:
    """A path quoted for an ffmpeg filter option value (both escaping levels)."""
    text = str(path).replace("\\", "/")
    for ch in ("\\", ":", "'", ",", ";", "[", "]", "="):
        text = text.replace(ch, "\\" + ch)
    return text.replace("\\", "\\\\")


def render_preview(media: Path, ass_file: Path, out_file: Path, has_video: bool,
                   options: PreviewOptions = PreviewOptions(),
                   fonts_dir: Path = FONTS_DIR) -> Path:
    """Render ``options.seconds`` of ``media`` with ``ass_file`` burned in as H.264/AAC MP4."""
    if options.seconds <= 0:
        raise PreviewError("the preview length must be positive")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_file.parent, prefix=".preview.") as work:
        subs = Path(work) / "subs.ass"  # a plain name: the filter graph then needs no quoting
        shutil.copyfile(ass_file, subs)
        burn = f"subtitles=filename=subs.ass:fontsdir={_filter_path(fonts_dir)}"
        w, h = options.width, options.height
        if has_video:
            graph = (f"[0:v]scale={w}:{h}:force_original_aspect_ratio=decrease,"
                     f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={options.fps},{burn},"
                     "format=yuv420p[v]")
        else:
            graph = (f"[0:a]showwaves=s={w}x{h}:mode=cline:rate={options.fps}:"
                     f"colors={options.wave_color},{burn},format=yuv420p[v]")
        tmp_out = Path(work) / "preview.mp4"
        cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
               "-t", f"{options.seconds:.3f}", "-i", str(media.resolve()),
               "-filter_complex", graph, "-map", "[v]", "-map", "0:a?",
               "-t", f"{options.seconds:.3f}", "-c:v", "libx264", "-preset", "veryfast",
               "-crf", str(options.crf), "-c:a", "aac", "-b:a", "96k",
               "-movflags", "+faststart", str(tmp_out)]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True,
                              env={**os.environ, "FONTCONFIG_FILE": os.devnull})
        if proc.returncode != 0 or not tmp_out.exists():
            lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
            raise PreviewError(lines[-1][:200] if lines else f"ffmpeg exit {proc.returncode}")
        os.replace(tmp_out, out_file)
    return out_file
