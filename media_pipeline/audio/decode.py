"""Decode any ffmpeg-readable audio or video into mono float32 samples."""

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.audio.tracks import ffmpeg_map
from media_pipeline.errors import DecodeError

SPEECH_RATE = 16_000


def decode_mono(path: Path, sample_rate: int = SPEECH_RATE,
                track: int = 0) -> np.ndarray:
    """Decode audio track ``track`` of ``path`` (counted among its audio streams from 0) to
    mono float32 at ``sample_rate``.

    ffmpeg errors on truncated data become a DecodeError; a file that yields no samples
    at all is treated as undecodable too, since there is nothing to transcribe.
    """
    # ffmpeg writes to a file read back in one piece: an hour is 230 MB of float32, and a
    # pipe's chunks joined into bytes, then copied into an array, held three times that.
    with tempfile.TemporaryDirectory(prefix="decode-") as tmp:
        raw = Path(tmp) / "audio.f32"
        cmd = [
            ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-xerror",
            "-i", str(path), "-map", ffmpeg_map(track), "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-acodec", "pcm_f32le",
            "-y", str(raw),
        ]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        samples = (np.fromfile(raw, dtype="<f4") if raw.exists()
                   else np.zeros(0, dtype=np.float32))
    if proc.returncode != 0:
        detail = _last_line(proc.stderr)
        # -xerror stops at the first corrupt packet; keep what decoded if it is most of the
        # file, because a clipped tail is common in real archives and still worth subtitling.
        if samples.size < sample_rate // 2:
            raise DecodeError(str(path), detail)
    if samples.size == 0:
        raise DecodeError(str(path), "no audio samples decoded")
    # Float sources can hold NaN or infinity; as silence they harm neither loudness nor VAD.
    step = sample_rate * 60  # a minute at a time: nan_to_num's temporaries are full-size
    for start in range(0, samples.size, step):
        np.nan_to_num(samples[start:start + step], copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return samples


def _last_line(stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:160] if lines else "ffmpeg failed"
