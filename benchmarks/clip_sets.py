"""The throughput benchmark's file sets: the acceptance's default set, and 40 short clips."""

import subprocess
from pathlib import Path

from benchmarks.common import CORPUS
from media_pipeline.audio.ffmpeg import ffmpeg_exe


def default_set() -> list[Path]:
    """The files ../shared/acceptance/throughput uses: 233 s of speech in 8 files."""
    ls = CORPUS / "librispeech"
    return sorted([*ls.glob("2412-*.flac"), *ls.glob("61-*.flac"), *ls.glob("sense*.wav"),
                   CORPUS / "long" / "fairytale-en.ogg", CORPUS / "misc" / "apollo11.mp3"])


SHORT_WITH_TEXT = (
    *[f"fleurs/fleurs-en-00{i}.ogg" for i in (0, 1, 2, 3, 5, 6, 7, 8, 9)],
    "librispeech/1272-128104-0000.wav", "librispeech/2412-153948-0000.flac",
    "librispeech/2412-153948-0001.flac", "librispeech/61-70968-0000.flac",
    "librispeech/sense_and_sensibility_01_austen_64kb-0870.wav",
    "librispeech/sense_and_sensibility_01_austen_64kb-0920.wav",
    *[f"ljspeech/LJ001-000{i}.flac" for i in (1, 3, 4, 5, 6, 7)],
    "jfk/jfk.flac",
)
"""22 clips of 5-12 s with a reference transcript beside them (the WER is theirs)."""
CUTS = (("long/fairytale-en.ogg", 9, 11.5), ("misc/apollo11.mp3", 9, 9.5))
"""(file, pieces, seconds each): cut from longer speech to make 40 clips in all."""


def short_clip_set(folder: Path) -> list[Path]:
    """40 clips of 5-15 s: the 22 with references, and 18 cut from longer corpus speech."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = [CORPUS / name for name in SHORT_WITH_TEXT]
    for name, pieces, seconds in CUTS:
        for n in range(pieces):
            out = folder / f"{Path(name).stem}-{n:02d}.flac"
            subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
                            "-ss", f"{n * seconds:.2f}", "-t", f"{seconds:.2f}",
                            "-i", str(CORPUS / name), "-ac", "1", str(out)], check=True)
            clips.append(out)
    return clips
