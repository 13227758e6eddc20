import subprocess
from pathlib import Path

import pysubs2
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.subtitles.export import DEFAULT_FORMATS, FORMATS, render, write_all
from media_pipeline.subtitles.model import Cue, Word

CUES = [
    Cue(1000, 3500, ("And so, my fellow Americans,", "ask not"), (
        Word("And", 1000, 1200), Word("so,", 1200, 1500), Word("my", 1600, 1700),
        Word("fellow", 1700, 2000), Word("Americans,", 2000, 2600), Word("ask", 2800, 3000),
        Word("not", 3000, 3400))),
    Cue(3600, 6000, ("Größe, señor — ça va?",), ()),
    Cue(6100, 8000, ("東京は晴れです",), ()),
    Cue(3_700_000, 3_702_500, ("1 < 2 & {braces} stay",), ()),
]


def test_srt_is_exact() -> None:
    assert render(CUES[:1], "srt") == (
        "1\n00:00:01,000 --> 00:00:03,500\nAnd so, my fellow Americans,\nask not\n")


def test_vtt_has_header_and_escapes() -> None:
    text = render(CUES, "vtt")
    assert text.startswith("WEBVTT\n\n00:00:01.000 --> 00:00:03.500\n")
    assert "1 &lt; 2 &amp; {braces} stay" in text
    assert "01:01:40.000 --> 01:01:42.500" in text


def test_lrc_line_and_enhanced_word_times() -> None:
    from media_pipeline.subtitles.formats.lrc import to_lrc

    assert render(CUES[:2], "lrc").splitlines()[:2] == [
        "[00:01.00]And so, my fellow Americans, ask not", "[00:03.60]Größe, señor — ça va?"]
    enhanced = to_lrc(CUES[:1], enhanced=True)
    assert enhanced.startswith("[00:01.00]<00:01.00>And <00:01.20>so, <00:01.60>my")


@pytest.mark.parametrize("fmt", ["srt", "vtt", "ass"])
def test_pysubs2_reads_back_the_exact_text(tmp_path: Path, fmt: str) -> None:
    path = write_all(CUES, tmp_path, "clip", (fmt,))[fmt]
    subs = pysubs2.load(str(path))
    assert [(e.start, e.end) for e in subs.events] == [(c.start_ms, c.end_ms) for c in CUES]
    for event, cue in zip(subs.events, CUES[:3], strict=False):  # the last one holds markup
        assert event.plaintext.split("\n") == list(cue.lines)


@pytest.mark.parametrize("fmt", ["srt", "vtt", "ass", "lrc"])
def test_ffmpeg_parses_every_subtitle_format(tmp_path: Path, fmt: str) -> None:
    path = write_all(CUES, tmp_path, "clip", (fmt,))[fmt]
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
                          "-f", "srt", "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # LRC ends with an empty timed line that clears the last lyric: one more event.
    assert out.stdout.count(" --> ") == len(CUES) + (fmt == "lrc")
    assert "東京は晴れです" in out.stdout


def test_txt_paragraphs_follow_pauses() -> None:
    text = render(CUES, "txt")
    assert text.split("\n\n")[0].startswith("And so, my fellow Americans, ask not Größe")
    assert text.rstrip().endswith("1 < 2 & {braces} stay")


def test_every_format_is_registered_and_written_atomically(tmp_path: Path) -> None:
    paths = write_all(CUES, tmp_path, "clip")
    assert set(paths) == set(DEFAULT_FORMATS) == {"srt", "vtt", "ass", "lrc", "elrc", "txt"}
    assert set(FORMATS) == {*DEFAULT_FORMATS, "karaoke"}  # karaoke: songs only
    karaoke = write_all(CUES, tmp_path, "song", ("karaoke",))["karaoke"]
    assert karaoke.name == "song.karaoke.ass" and "\\k" in karaoke.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.tmp"))
