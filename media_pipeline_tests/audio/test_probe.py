"""A media's duration comes from decoding its audio, not from what its headers claim."""

import struct
import subprocess
from pathlib import Path

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.audio.probe import decoded_duration_s, probe_media
from media_pipeline.stages.preprocessing import probe_step


def forged_mp3(path: Path, seconds: float = 8.0) -> Path:
    """An MP3 of ``seconds`` whose Xing/Info header claims 2**31 - 1 frames (about 56
    million seconds at 44.1 kHz): what a header-trusting probe reports as its length."""
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "sine=f=440:r=44100", "-t", str(seconds), "-ac", "1",
                    "-c:a", "libmp3lame", "-b:a", "64k", str(path)], check=True)
    data = bytearray(path.read_bytes())
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    assert tag > 0, "libmp3lame wrote no Xing/Info header"
    flags = struct.unpack(">I", data[tag + 4:tag + 8])[0]
    assert flags & 1, "the header carries no frame count"
    data[tag + 8:tag + 12] = struct.pack(">I", 0x7FFFFFFF)
    path.write_bytes(bytes(data))
    return path


def test_a_forged_header_does_not_set_the_duration(tmp_path: Path) -> None:
    mp3 = forged_mp3(tmp_path / "forged.mp3")
    assert probe_media(mp3).duration_s > 1_000_000  # the header's claim
    assert abs(decoded_duration_s(mp3) - 8.0) < 0.1
    _, info = probe_step(mp3, tmp_path)
    assert abs(info["duration_s"] - 8.0) < 0.1
    assert info["container_duration_s"] > 1_000_000  # kept, for diagnosis only


def test_decoded_duration_matches_honest_files(corpus: Path) -> None:
    for path in (corpus / "jfk" / "jfk.wav", corpus / "long" / "fairytale-en.ogg"):
        assert abs(decoded_duration_s(path) - probe_media(path).duration_s) < 0.05


def test_a_truncated_file_counts_what_decodes(tmp_path: Path, corpus: Path) -> None:
    data = (corpus / "long" / "fairytale-en.ogg").read_bytes()
    cut = tmp_path / "cut.ogg"
    cut.write_bytes(data[: len(data) // 2])
    assert 20 < decoded_duration_s(cut) < 80  # about half of 105 s
    assert decoded_duration_s(tmp_path / "missing.ogg") == 0.0
