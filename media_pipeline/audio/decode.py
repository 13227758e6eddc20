"""Decode any ffmpeg-readable audio or video into mono float32 samples."""

import subprocess
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
    cmd = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-xerror",
        "-i", str(path), "-map", ffmpeg_map(track), "-vn", "-sn", "-dn",
        "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
    ]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    if proc.returncode != 0:
        detail = _last_line(proc.stderr)
        # -xerror stops at the first corrupt packet; keep what decoded if it is most of the
        # file, because a clipped tail is common in real archives and still worth subtitling.
        if samples.size < sample_rate // 2:
            raise DecodeError(str(path), detail)
    if samples.size == 0:
        raise DecodeError(str(path), "no audio samples decoded")
    # Float sources can hold NaN or infinity; as silence they harm neither loudness nor VAD.
    return np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)


def _last_line(stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1][:160] if lines else "ffmpeg failed"
