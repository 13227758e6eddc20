"""Chunk audio to one MP3, written atomically, with the exact sample count of its parts.

Samples are concatenated before encoding, so there is one encoder delay and one padding,
both recorded in the LAME/Xing header that ffmpeg writes; decoders that read that header
(ffmpeg, browsers) give back exactly the concatenated length, within one MP3 frame for others.
"""

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.atomic import atomic_path
from media_pipeline.tts.errors import AudioProcessingError
from media_pipeline.tts.wavio import read_wav

_FFMPEG_TIMEOUT_S = 600


def default_ffmpeg() -> str:
    """Path of the static ffmpeg bundled by ``imageio-ffmpeg`` (it has libmp3lame)."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def mp3_frame_samples(sample_rate: int) -> int:
    """Samples per MPEG Layer III frame: 1152 at 32 kHz and above, 576 below (MPEG-2/2.5)."""
    return 1152 if sample_rate >= 32000 else 576


@dataclass(frozen=True)
class StitchResult:
    """The written MP3 and the timeline it was built from."""

    path: Path
    sample_rate: int
    num_samples: int
    chunk_offsets_ms: list[int]
    """Start of each chunk on the narration timeline."""
    chunk_durations_ms: list[int]

    @property
    def duration_ms(self) -> int:
        """Total length in whole milliseconds (rounded)."""
        return round(self.num_samples * 1000 / self.sample_rate)


def _run_ffmpeg(args: list[str], stdin: bytes | None) -> bytes:
    try:
        done = subprocess.run(
            args, input=stdin, capture_output=True, timeout=_FFMPEG_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise AudioProcessingError(f"ffmpeg could not run: {exc}") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-500:]
        raise AudioProcessingError(f"ffmpeg exited {done.returncode}: {tail}")
    return done.stdout


class AudioStitcher:
    """Joins mono 16-bit WAV chunks into one MP3 with ffmpeg/libmp3lame."""

    def __init__(self, ffmpeg_exe: str | None = None, bitrate: str = "64k") -> None:
        self._ffmpeg = ffmpeg_exe
        self.bitrate = bitrate

    @property
    def ffmpeg(self) -> str:
        """The ffmpeg executable used (resolved lazily)."""
        if self._ffmpeg is None:
            self._ffmpeg = default_ffmpeg()
        return self._ffmpeg

    def stitch(self, chunk_wavs: Sequence[bytes], out_path: Path) -> StitchResult:
        """Write ``out_path`` (MP3) from the chunks in order; nothing is left on failure."""
        clips = [read_wav(wav) for wav in chunk_wavs]
        if not clips:
            raise AudioProcessingError("no chunk audio to stitch")
        rates = {clip.sample_rate for clip in clips}
        if len(rates) != 1:
            raise AudioProcessingError(f"chunks have different sample rates: {sorted(rates)}")
        rate = rates.pop()
        offsets_ms: list[int] = []
        durations_ms: list[int] = []
        total = 0
        for clip in clips:
            # Offsets come from the running sample count so rounding never accumulates.
            start_ms = round(total * 1000 / rate)
            total += clip.num_samples
            offsets_ms.append(start_ms)
            durations_ms.append(round(total * 1000 / rate) - start_ms)
        if total == 0:
            raise AudioProcessingError("chunk audio is empty")

        out_path = Path(out_path)
        try:
            with atomic_path(out_path, suffix=".part") as part:
                args = [
                    self.ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                    "-c:a", "libmp3lame", "-b:a", self.bitrate, "-write_xing", "1",
                    "-f", "mp3", str(part),
                ]  # fmt: skip
                _run_ffmpeg(args, b"".join(clip.pcm for clip in clips))
        except OSError as exc:
            raise AudioProcessingError(f"could not write {out_path.name}: {exc}") from exc
        return StitchResult(out_path, rate, total, offsets_ms, durations_ms)


def decoded_num_samples(mp3_path: Path, ffmpeg_exe: str | None = None) -> int:
    """Decode an MP3 at its own rate and count the samples (what a player will play)."""
    args = [
        ffmpeg_exe or default_ffmpeg(), "-hide_banner", "-loglevel", "error",
        "-i", str(mp3_path), "-f", "s16le", "-ac", "1", "pipe:1",
    ]  # fmt: skip
    return len(_run_ffmpeg(args, None)) // 2
