"""Bad (and a few good) inputs for the intake paths, generated with ffmpeg and byte surgery.

:func:`make_inputs` fills a folder with one file per kind and says what each must do:
``must_complete`` files are real speech and have to come out as subtitles; the rest may
complete or fail, but alone and with one clear line. Nothing here is large on disk: the
2 GiB file is sparse (a hole, never written).
"""

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from media_pipeline.audio.ffmpeg import ffmpeg_exe

SPARSE_SIZE = 2 << 30
"""The sparse ``.wav``: 2 GiB of zeros that take no blocks on disk."""


@dataclass(frozen=True)
class Input:
    """One input kind: where it is and what it must do."""

    id: str
    """A short slug (the test id)."""
    kind: str
    """What it is, for people."""
    path: Path
    must_complete: bool = False
    """Real speech in a supported form: it has to complete."""
    readable: bool = True
    """A regular file: it is stored and gets a library row (else nothing is registered)."""
    explicit: bool = False
    """Named on the command line too (a folder scan skips it, or its name is odd)."""


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    *args], check=True)


def truncate_to_third(full: Path, target: Path) -> Path:
    """The first third of ``full``'s bytes as ``target`` (``full`` is removed)."""
    data = full.read_bytes()
    target.write_bytes(data[: len(data) // 3])
    full.unlink()
    return target


def wav_claiming(path: Path, size_field: int) -> Path:
    """Patch the RIFF and ``data`` chunk sizes of the WAV at ``path`` to ``size_field``."""
    data = bytearray(path.read_bytes())
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a RIFF WAVE file"
    struct.pack_into("<I", data, 4, size_field)
    pos = 12
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if tag == b"data":
            struct.pack_into("<I", data, pos + 4, size_field)
            break
        pos += 8 + size + (size & 1)
    else:
        raise AssertionError("no data chunk")
    path.write_bytes(bytes(data))
    return path


def wav_with_bad_header(source: Path, target: Path) -> Path:
    """``source`` (a PCM WAV) with its ``fmt `` chunk zeroed past the format tag:
    an unknown codec id, no channels, no sample rate, no block alignment."""
    data = bytearray(source.read_bytes())
    pos = data.index(b"fmt ")
    struct.pack_into("<HHIIHH", data, pos + 8, 0x7A7A, 0, 0, 0, 0, 0)
    target.write_bytes(bytes(data))
    return target


def syncsafe(n: int) -> bytes:
    """An ID3v2 size: 4 bytes of 7 bits each."""
    return bytes((n >> shift) & 0x7F for shift in (21, 14, 7, 0))


def id3_with_garbage(mp3: Path, target: Path, rng: np.random.Generator) -> Path:
    """An ID3v2.4 tag of the right size holding garbage frames, then ``mp3``'s audio."""
    body = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    target.write_bytes(b"ID3\x04\x00\x00" + syncsafe(len(body)) + body + mp3.read_bytes())
    return target


def id3_forged(mp3: Path, target: Path) -> Path:
    """An ID3v2.3 tag that claims 256 MB (all flags set) in front of ``mp3``'s audio."""
    header = b"ID3\x03\x00\xff" + syncsafe((1 << 28) - 1)
    target.write_bytes(header + b"TIT2\xff\xff\xff\xff\x00\x00garbage" + mp3.read_bytes())
    return target


def float_wav(path: Path, samples: np.ndarray, rate: int = 16000) -> Path:
    """A mono 32-bit float WAV of ``samples``, written as they are (NaN and inf too)."""
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE"
                     + b"fmt " + struct.pack("<I", len(fmt)) + fmt
                     + b"data" + struct.pack("<I", len(data)) + data)
    return path


def sparse_file(path: Path, size: int = SPARSE_SIZE) -> Path:
    """``size`` bytes of zeros as a hole: nothing is written."""
    with path.open("wb") as f:
        f.truncate(size)
    return path


IDS = (
    "good-jfk", "good-librispeech", "name-unicode", "name-spaces", "name-newline",
    "text-named-mp3", "empty", "random-bytes-mp4", "sparse-2gib-wav",
    "truncated-wav", "truncated-flac", "truncated-mp3", "truncated-ogg", "truncated-opus",
    "truncated-m4a", "truncated-video-mp4", "truncated-video-mkv", "truncated-video-webm",
    "truncated-video-avi", "truncated-video-mov",
    "video-no-audio", "clip-0.2s", "silence-5s", "white-noise-5s", "six-channels",
    "wav-96k-24bit", "mkv-two-audio-tracks", "zero-duration-mkv",
    "wav-claims-100-hours", "wav-bad-header", "mp3-garbage-id3", "mp3-forged-id3",
    "wav-header-only", "wav-one-sample", "float-wav-nan", "float-wav-inf",
    "float-wav-1e30", "ogg-headers-only", "zero-duration-m4a", "truncated-faststart-mp4",
    "symlink-loop-a", "symlink-loop-b", "dir-named-mp3",
)
"""Every input :func:`make_inputs` makes, in its order (stable, for parametrized tests)."""


def make_inputs(folder: Path, corpus: Path, work: Path) -> dict[str, Input]:
    """Every input kind in ``folder`` by id (``work``: scratch space for intermediates)."""
    folder.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240607)
    speech = corpus / "fleurs" / "fleurs-en-004.ogg"  # 4.3 s of English speech
    other = corpus / "ljspeech" / "LJ001-0008.flac"  # 1.8 s
    video = ["-f", "lavfi", "-i", "color=c=navy:s=64x64:r=10"]
    out: dict[str, Input] = {}

    def add(id_: str, kind: str, name: str, **kw: bool) -> Path:
        path = folder / name
        out[id_] = Input(id_, kind, path, **kw)
        return path

    # Good files: real speech, plain and with odd names (different content each).
    for id_, kind, name, source, explicit in (
            ("good-jfk", "jfk.wav copy", "good_jfk.wav", corpus / "jfk" / "jfk.wav", False),
            ("good-librispeech", "LibriSpeech FLAC", "good_librispeech.flac",
             corpus / "librispeech" / "61-70968-0000.flac", False),
            ("name-unicode", "unicode file name", "Ünïcödé 日本語 ☃ café.flac",
             corpus / "ljspeech" / "LJ001-0002.flac", False),
            ("name-spaces", "spaces in the file name", "  name with   spaces .flac", other,
             False),
            ("name-newline", "a newline in the file name", "new\nline.flac",
             corpus / "ljspeech" / "LJ001-0004.flac", True)):
        shutil.copyfile(source, add(id_, kind, name, must_complete=True, explicit=explicit))

    # Not media at all.
    add("text-named-mp3", "text named .mp3", "not_media_text.mp3").write_text(
        "ID3? no. This is a shopping list:\n- milk\n- eggs\n" * 20)
    add("empty", "empty file", "empty.wav").write_bytes(b"")
    add("random-bytes-mp4", "random bytes named .mp4", "random_bytes.mp4").write_bytes(
        rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    sparse_file(add("sparse-2gib-wav", "2 GiB sparse .wav (all zeros)", "sparse_2gib.wav"))

    # Truncated at a third: each audio container, then each video container.
    audio = {"wav": ["-c:a", "pcm_s16le"], "flac": ["-c:a", "flac"],
             "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"], "ogg": ["-c:a", "libvorbis"],
             "opus": ["-c:a", "libopus", "-b:a", "32k"], "m4a": ["-c:a", "aac", "-b:a", "64k"]}
    for ext, codec in audio.items():
        full = work / f"full.{ext}"
        ffmpeg("-i", str(speech), *codec, str(full))
        truncate_to_third(full, add(f"truncated-{ext}", f"{ext} audio truncated at 1/3",
                                    f"truncated_audio.{ext}"))
    videos = {"mp4": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"],
              "mkv": ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "libvorbis"],
              "webm": ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"],
              "avi": ["-c:v", "mpeg4", "-c:a", "libmp3lame"],
              "mov": ["-c:v", "mpeg4", "-c:a", "aac"]}
    for ext, codec in videos.items():
        full = work / f"full_video.{ext}"
        ffmpeg(*video, "-i", str(speech), "-shortest", "-pix_fmt", "yuv420p", *codec,
               str(full))
        truncate_to_third(full, add(f"truncated-video-{ext}", f"{ext} video truncated at 1/3",
                                    f"truncated_video.{ext}"))

    # Media that is odd but whole.
    ffmpeg(*video, "-t", "2", "-c:v", "mpeg4",
           str(add("video-no-audio", "video with no audio stream", "video_no_audio.mp4")))
    ffmpeg("-i", str(speech), "-t", "0.2", str(add("clip-0.2s", "0.2 s clip", "clip_0.2s.wav")))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "5",
           str(add("silence-5s", "5 s of silence", "silence_5s.wav")))
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=r=16000:a=0.5:c=white:seed=7", "-t", "5",
           str(add("white-noise-5s", "5 s of white noise", "white_noise_5s.wav")))
    ffmpeg("-i", str(speech), "-ac", "6", "-c:a", "pcm_s16le",
           str(add("six-channels", "6-channel (5.1) WAV", "six_channels.wav",
                   must_complete=True)))
    ffmpeg("-i", str(speech), "-ar", "96000", "-c:a", "pcm_s24le",
           str(add("wav-96k-24bit", "96 kHz / 24-bit WAV", "hires_96k_24bit.wav",
                   must_complete=True)))
    ffmpeg("-i", str(speech), "-i", str(other), "-map", "0:a", "-map", "1:a",
           "-c:a", "libvorbis", str(add("mkv-two-audio-tracks", "MKV with two audio tracks",
                                        "two_audio_tracks.mkv", must_complete=True)))
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0", "-c:a", "pcm_s16le",
           str(add("zero-duration-mkv", "zero-duration container (MKV, no packets)",
                   "zero_duration.mkv")))

    # Headers that lie or are broken.
    claims = add("wav-claims-100-hours", "WAV whose header claims 149 hours (5 s of data)",
                 "claims_100_hours.wav")
    ffmpeg("-i", str(corpus / "ljspeech" / "LJ001-0004.flac"), "-t", "5", "-ar", "8000",
           "-c:a", "pcm_u8", str(claims))
    wav_claiming(claims, 0xFFFFFFF0)  # at 8000 bytes/s that is 149 hours
    plain = work / "plain.wav"
    ffmpeg("-i", str(speech), "-c:a", "pcm_s16le", str(plain))
    wav_with_bad_header(plain, add("wav-bad-header", "WAV with a broken fmt chunk",
                                   "bad_header.wav"))
    mp3 = work / "speech.mp3"
    ffmpeg("-i", str(speech), "-c:a", "libmp3lame", "-b:a", "48k", "-id3v2_version", "0",
           "-write_xing", "0", str(mp3))
    id3_with_garbage(mp3, add("mp3-garbage-id3", "MP3 behind an ID3 tag of garbage frames",
                              "id3_garbage.mp3"), rng)
    id3_forged(mp3, add("mp3-forged-id3", "MP3 behind an ID3 header forged to claim 256 MB",
                        "id3_forged_size.mp3"))

    # Samples no microphone makes, and containers cut before their first packet.
    noise = rng.standard_normal(16000 * 3).astype(np.float32) * 0.1
    float_wav(add("wav-header-only", "WAV header with no samples", "header_only.wav"),
              np.zeros(0, np.float32))
    float_wav(add("wav-one-sample", "WAV of one sample", "one_sample.wav"),
              np.array([0.5], np.float32))
    float_wav(add("float-wav-nan", "float WAV with NaN samples", "float_nan.wav"),
              np.where(np.arange(noise.size) % 7 == 0, np.float32(np.nan), noise))
    float_wav(add("float-wav-inf", "float WAV of +inf", "float_inf.wav"),
              np.full(16000 * 3, np.inf, np.float32))
    float_wav(add("float-wav-1e30", "float WAV at 1e30 (far past full scale)",
                  "float_1e30.wav"), noise * np.float32(1e30))
    full = work / "headers.ogg"
    ffmpeg("-i", str(speech), "-c:a", "libvorbis", str(full))
    (folder / "ogg_headers_only.ogg").write_bytes(full.read_bytes()[:3500])
    add("ogg-headers-only", "Ogg Vorbis cut inside its headers", "ogg_headers_only.ogg")
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "0", "-c:a", "aac",
           str(add("zero-duration-m4a", "zero-duration container (M4A)", "zero_duration.m4a")))
    full = work / "faststart.mp4"
    ffmpeg(*video, "-i", str(speech), "-shortest", "-pix_fmt", "yuv420p", "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "aac", "-movflags", "+faststart", str(full))
    truncate_to_third(full, add("truncated-faststart-mp4",
                                "mp4 video (moov first) truncated at 1/3",
                                "truncated_faststart.mp4"))

    # Not regular files.
    loop_a = add("symlink-loop-a", "symlink loop (a -> b -> a)", "loop_a.wav",
                 readable=False, explicit=True)
    loop_b = add("symlink-loop-b", "symlink loop (b -> a -> b)", "loop_b.wav",
                 readable=False, explicit=True)
    os.symlink(loop_b.name, loop_a)
    os.symlink(loop_a.name, loop_b)
    add("dir-named-mp3", "a directory named x.mp3", "x.mp3", readable=False,
        explicit=True).mkdir()
    assert tuple(out) == IDS, "IDS is out of step with make_inputs"
    return out


def growing_wav(path: Path, corpus: Path, padding: int = 8 << 20) -> Path:
    """A 3 s speech WAV followed by ``padding`` zero bytes: big enough that hashing it takes
    a while, so that a writer appending to it is caught in the act."""
    ffmpeg("-i", str(corpus / "ljspeech" / "LJ001-0006.flac"), "-t", "3", "-ar", "16000",
           "-ac", "1", "-c:a", "pcm_s16le", str(path))
    with path.open("ab") as f:
        f.truncate(path.stat().st_size + padding)
    return path
