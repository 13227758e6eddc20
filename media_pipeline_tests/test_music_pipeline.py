"""Songs end to end: ``process --lyrics``, sidecar lyrics, karaoke outputs, separation modes."""

import csv
import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe

pytestmark = pytest.mark.slow


def process(*args: str) -> tuple[int, list[dict], str]:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, "-m", "media_pipeline.cli.main", "process", *args,
                          "--json", "--no-progress"], capture_output=True, text=True,
                         timeout=600)
    rows = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    return out.returncode, rows, out.stderr


def lrc_starts(text: str) -> list[float]:
    return [int(m) * 60 + float(s) for m, s, body in
            re.findall(r"^\[(\d+):(\d+\.\d+)\](.*)$", text, flags=re.M) if body.strip()]


def ffmpeg_reads(path: Path) -> str:
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
                          "-f", "srt", "-"], capture_output=True, text=True, check=True)
    return out.stdout


def test_song_with_lyrics(tmp_path: Path, corpus: Path) -> None:
    base = corpus / "lyrics" / "Fantasma_-_Los_Rombos"
    song = tmp_path / "song.mp3"
    shutil.copy(base.with_suffix(".mp3"), song)
    lyrics = base.with_suffix(".txt").read_text(encoding="utf-8")
    data = tmp_path / "data"
    code, [row], err = process(str(song), "--lyrics", str(base.with_suffix(".txt")),
                               "--data-dir", str(data))
    assert code == 0 and row["status"] == "completed", err
    assert "multilingual 'base' model" in err  # Spanish lyrics, English-only default model
    # LRC: one timed line per lyric line, the user's text exactly, near the human times
    lrc = Path(row["outputs"]["lrc"]).read_text(encoding="utf-8")
    shown = [x.split("]", 1)[1] for x in lrc.splitlines() if x.split("]", 1)[1].strip()]
    assert shown == [x for x in lyrics.splitlines() if x.strip()]
    with open(f"{base}.lines.csv", encoding="utf-8") as fh:
        ref = [float(r["start_time"]) for r in csv.DictReader(fh)]
    err_s = [abs(a - b) for a, b in zip(lrc_starts(lrc), ref, strict=True)]
    assert statistics.median(err_s) <= 1.0
    # enhanced LRC carries word times; ffmpeg's LRC demuxer reads both
    enhanced = Path(row["outputs"]["elrc"]).read_text(encoding="utf-8")
    assert enhanced.count("<") >= 88 and "<00:" in enhanced
    assert ffmpeg_reads(Path(row["outputs"]["lrc"])).count(" --> ") >= 17
    # karaoke ASS with \k from the aligned words: pysubs2 and ffmpeg read it
    import pysubs2

    karaoke = Path(row["outputs"]["karaoke"])
    subs = pysubs2.load(str(karaoke))
    assert len(subs.events) == 17 and all("\\k" in e.text for e in subs.events)
    assert subs.events[0].plaintext == "soy un fantasma que"
    assert ffmpeg_reads(karaoke).count(" --> ") == 17
    # tempo and snapping in the cues metadata
    [manifest] = (data / "artifacts" / row["key"]).glob("cues-*/manifest.json")
    info = json.loads(manifest.read_text())["info"]
    assert 100 < info["tempo_bpm"] < 125 and info["beat_snap"]["applied"] is True
    assert info["lyrics"]["lines"] == 17 and info["rule_violations"] == {}
    # changed lyrics: cues are redone, the transcript is not
    edited = tmp_path / "edited.txt"
    edited.write_text(lyrics.replace("fantasma", "FANTASMA"), encoding="utf-8")
    code, [again], err = process(str(song), "--lyrics", str(edited), "--data-dir", str(data))
    assert code == 0, err
    assert "FANTASMA" in Path(again["outputs"]["lrc"]).read_text(encoding="utf-8")
    assert len(list((data / "artifacts" / row["key"]).glob("transcript-*"))) == 1


def test_sidecar_lyrics_and_separation_modes(tmp_path: Path, corpus: Path) -> None:
    clip = tmp_path / "jfk.flac"
    shutil.copy(corpus / "jfk" / "jfk.flac", clip)
    (tmp_path / "jfk.lyrics.txt").write_text(
        "And so my fellow Americans\nask not what your country can do for you\n\n"
        "ask what you can do for your country\n", encoding="utf-8")
    data = tmp_path / "data"
    code, rows, err = process(str(tmp_path), "--data-dir", str(data), "--separation", "auto")
    assert code == 0 and [r["status"] for r in rows] == ["completed"], err
    lrc = Path(rows[0]["outputs"]["lrc"]).read_text(encoding="utf-8")
    assert len(lrc_starts(lrc)) == 3 and "karaoke" in rows[0]["outputs"]
    [vocals] = (data / "artifacts" / rows[0]["key"]).glob("vocals-*/manifest.json")
    info = json.loads(vocals.read_text())["info"]
    assert info["is_music"] is False and "not music" in info["reason"]
    # separation on, no weights: the partition fails and says where to put them
    code, rows, err = process(str(clip), "--data-dir", str(data), "--separation", "on")
    assert code == 1 and rows[0]["status"] == "failed"
    expected = data.resolve() / "models" / "demucs" / "955717e8-8726e21a.th"
    assert str(expected) in rows[0]["error"]
