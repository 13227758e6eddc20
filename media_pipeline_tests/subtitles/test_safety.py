"""Whatever a cue holds, every writer gives a well-formed file: no text line that a parser
takes for a timing line, no raw control character, no timestamp past the format's range."""

import re
import subprocess
from pathlib import Path

import pysubs2

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.subtitles.export import DEFAULT_FORMATS, render, write_all
from media_pipeline.subtitles.formats.ass import to_ass
from media_pipeline.subtitles.formats.srt import to_srt
from media_pipeline.subtitles.formats.vtt import to_vtt
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.subtitles.timecode import MAX_TIMESTAMP_MS, srt_time

HOSTILE = [
    Cue(0, 1000, ("A --> B", "00:00:09,000 --> 00:00:10,000",
                  "from 01:02:03.004 to 01:02:04.005")),
    Cue(1000, 2000, ("nul\x00 esc\x1b[31m c1\x85 cr\r lf\nsplit", "", "  ")),
    Cue(2000, 10**15, ("late",)),  # a time from an edit made before edits were checked
    Cue(-50, -10, ("negative",)),
    Cue(3000, 4000, ("sep\u2028arator",), (Word("w\x00", 3000, 3500),)),
]
SRT_TIME = r"\d\d:\d\d:\d\d,\d\d\d"


def test_srt_text_never_looks_like_a_timing_line() -> None:
    srt = to_srt(HOSTILE)
    timing = [line for line in srt.splitlines() if "-->" in line]
    assert len(timing) == len(HOSTILE)
    assert all(re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", line) for line in timing)
    assert "A \u2192 B" in srt  # the arrow stays readable
    assert "00:\u206000:\u206009,000 \u2192 00:\u206000:\u206010,000" in srt  # looks the same
    assert not any(ch in srt for ch in "\x00\x1b\x85\r\u2028")
    assert "99:59:59,999" in srt and "00:00:00,000 --> 00:00:00,000" in srt
    assert len(pysubs2.SSAFile.from_string(srt).events) == len(HOSTILE)


def test_vtt_escapes_the_arrow_and_drops_controls() -> None:
    vtt = to_vtt(HOSTILE)
    assert "A --&gt; B" in vtt
    assert sum("-->" in line for line in vtt.splitlines()) == len(HOSTILE)
    assert not any(ch in vtt for ch in "\x00\x1b\x85\r\u2028")
    assert "\n\n\n" not in vtt  # an empty text line would end the cue early
    assert len(pysubs2.SSAFile.from_string(vtt, format_="vtt").events) == len(HOSTILE)


def test_ass_keeps_each_dialogue_on_one_line() -> None:
    for karaoke in (False, True):
        ass = to_ass(HOSTILE, karaoke=karaoke)
        dialogues = [line for line in ass.splitlines() if line.startswith("Dialogue:")]
        assert len(dialogues) == len(HOSTILE)
        assert not any(ch in ass for ch in "\x00\x1b\x85\r\u2028")
        assert "9:59:59.99" in ass


def test_every_format_is_written_and_ffmpeg_reads_every_cue(tmp_path: Path) -> None:
    for fmt in DEFAULT_FORMATS:
        assert not any(ch in render(HOSTILE, fmt) for ch in "\x00\x1b\x85")
    paths = write_all(HOSTILE, tmp_path, "hostile")
    for fmt in ("srt", "vtt", "ass"):  # ffmpeg's events, written as ASS: one line each
        proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i",
                               str(paths[fmt]), "-f", "ass", "-"], capture_output=True,
                              check=True)
        lines = proc.stdout.decode("utf-8").splitlines()
        assert sum(line.startswith("Dialogue:") for line in lines) == len(HOSTILE), fmt


def test_timestamps_are_clamped_to_the_format() -> None:
    assert srt_time(10**15) == srt_time(MAX_TIMESTAMP_MS) == "99:59:59,999"
    assert srt_time(-5) == "00:00:00,000"
