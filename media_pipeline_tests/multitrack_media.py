"""A video with several audio tracks and a subtitle track, as a media library has them.

Built with the bundled ffmpeg from corpus clips: by default track 0 is English LibriSpeech
(``eng``), track 1 German FLEURS (``ger``, flagged default), plus an English SRT subtitle
stream (forced). Audio is FLAC so a track decodes to the samples of its clip alone.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from media_pipeline.audio.decode import decode_mono
from media_pipeline.audio.ffmpeg import ffmpeg_exe

SECONDS = 8.0
ENGLISH_CLIP = ("librispeech", "2412-153948-0000.flac")
GERMAN_CLIP = ("fleurs", "fleurs-de-001.ogg")
FRENCH_CLIP = ("fleurs", "fleurs-fr-001.ogg")


@dataclass(frozen=True)
class Track:
    language: str
    title: str
    clip: tuple[str, str]
    """Corpus folder and file name."""
    default: bool = False


ENGLISH = Track("eng", "English", ENGLISH_CLIP)
GERMAN = Track("ger", "Deutsch", GERMAN_CLIP, default=True)
FRENCH = Track("fre", "Français", FRENCH_CLIP)


def build_multitrack(path: Path, corpus: Path,
                     tracks: tuple[Track, ...] = (ENGLISH, GERMAN)) -> Path:
    """A video at ``path`` with ``tracks`` (FLAC, tagged, titled, default flags as given) and
    an English SRT subtitle stream flagged forced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    srt = path.with_suffix(".subs.srt")
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\nHello there\n\n", encoding="utf-8")
    inputs = ["-f", "lavfi", "-i", "color=c=black:s=64x48:r=5"]
    maps = ["-map", "0:v"]
    meta: list[str] = []
    for n, track in enumerate(tracks):
        inputs += ["-i", str(corpus.joinpath(*track.clip))]
        maps += ["-map", f"{n + 1}:a"]
        meta += [f"-metadata:s:a:{n}", f"language={track.language}",
                 f"-metadata:s:a:{n}", f"title={track.title}",
                 f"-disposition:a:{n}", "default" if track.default else "0"]
    subprocess.run([
        ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *inputs, "-i", str(srt),
        *maps, "-map", f"{len(tracks) + 1}:s", "-t", str(SECONDS),
        "-c:v", "mpeg4", "-c:a", "flac", "-c:s", "srt", *meta,
        "-metadata:s:s:0", "language=eng", "-metadata:s:s:0", "title=English (forced)",
        "-disposition:s:0", "forced", str(path)], check=True)
    srt.unlink()
    return path


def correlation(samples: np.ndarray, corpus: Path, track: Track) -> float:
    """Pearson correlation of ``samples`` with the first seconds of ``track``'s clip decoded
    alone (about 1 for that track, about 0 for another)."""
    alone = decode_mono(corpus.joinpath(*track.clip))
    n = min(samples.shape[0], alone.shape[0])
    return float(np.corrcoef(samples[:n], alone[:n])[0, 1])
