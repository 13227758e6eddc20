"""Every export round-trips through pysubs2 and ffmpeg with the exact cue text, in every script."""

import html
import re
import subprocess
from pathlib import Path

import pysubs2
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.subtitles.export import DEFAULT_FORMATS, FORMATS, write_all
from media_pipeline.subtitles.formats.ass import to_ass
from media_pipeline.subtitles.formats.lrc import to_enhanced_lrc, to_lrc
from media_pipeline.subtitles.formats.vtt import to_vtt
from media_pipeline.subtitles.model import Cue, Word, join_words
from media_pipeline.text.profiles import get_profile
from media_pipeline.text.segmentation import segment_words
from media_pipeline.text.word_timing import split_words

# Beyond FLEURS' Latin scripts: scripts the multilingual model writes too.
EXTRA = {
    "ru": "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "el": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "ar": "نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق.",
    "zh": "我能吞下玻璃而不伤身体。",
    "ja": "いろはにほへとちりぬるをわかよたれそつねならむ",
    "hi": "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले",
}


def fleurs_texts(corpus: Path) -> dict[str, str]:
    texts = {p.stem: p.read_text(encoding="utf-8").strip()
             for p in sorted((corpus / "fleurs").glob("fleurs-*-00[01].txt"))}
    return {**texts, **EXTRA}


def timed(text: str) -> list[Word]:
    """Words as Whisper gives them: split at spaces, and per character in CJK."""
    out, t = [], 500
    for tok in split_words(text):
        d = 120 + 70 * len(tok)
        out.append(Word(tok, t, t + d, 0.8))
        t += d + 60
    return out


def ffmpeg_srt(path: Path) -> str:
    """What ffmpeg reads from a subtitle file, converted to SRT."""
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
                           "-f", "srt", "-"], capture_output=True, check=True)
    return proc.stdout.decode("utf-8")


def srt_texts(srt: str) -> list[str]:
    blocks = [b.strip().split("\n")[2:] for b in srt.strip().split("\n\n") if b.strip()]
    return ["\n".join(lines) for lines in blocks]


def test_exports_keep_every_character_in_every_script(corpus: Path, tmp_path: Path) -> None:
    for name, text in fleurs_texts(corpus).items():
        cues = segment_words(timed(text), get_profile("netflix-en"))
        paths = write_all(cues, tmp_path / name, "clip")
        expected = ["\n".join(c.lines) for c in cues]
        flat = [" ".join(c.lines) for c in cues]
        assert join_words([c.text for c in cues]) == text, name
        for fmt in ("srt", "vtt", "ass"):
            subs = pysubs2.load(str(paths[fmt]), encoding="utf-8")
            got = [e.plaintext for e in subs.events]
            if fmt == "vtt":
                got = [html.unescape(g) for g in got]
            assert got == expected, (name, fmt)
            assert [(e.start, e.end) for e in subs.events] == [
                (c.start_ms, c.end_ms) for c in cues], (name, fmt)  # ASS too: 10 ms steps
            read = [html.unescape(re.sub(r"</?font[^>]*>", "", t))  # ffmpeg adds ASS's font
                    for t in srt_texts(ffmpeg_srt(paths[fmt]))]
            assert read == expected, (name, fmt, "ffmpeg")
        lrc = paths["lrc"].read_text(encoding="utf-8").splitlines()
        assert [re.sub(r"^\[[\d:.]+\]", "", line) for line in lrc[:-1]] == flat, name
        # The last, empty LRC line clears the lyric when the last cue ends.
        assert srt_texts(ffmpeg_srt(paths["lrc"])) == [*flat, ""], (name, "ffmpeg lrc")
        enhanced = paths["elrc"].read_text(encoding="utf-8").splitlines()
        assert [re.sub(r"<[\d:.]+>", "", re.sub(r"^\[[\d:.]+\]", "", x)).strip()
                for x in enhanced[:-1]] == flat, name
        txt = paths["txt"].read_text(encoding="utf-8")
        assert txt.strip() == text, name


def test_every_format_is_written(tmp_path: Path) -> None:
    cues = [Cue(1000, 2500, ("Hello", "world"), (Word("Hello", 1000, 1500),
                                                 Word("world", 1600, 2400)))]
    paths = write_all(cues, tmp_path, "x")
    assert sorted(paths) == sorted(DEFAULT_FORMATS)
    assert paths["elrc"].name == "x.enhanced.lrc"
    assert paths["vtt"].read_text().startswith("WEBVTT\n\n")


def test_enhanced_lrc_has_word_times() -> None:
    cues = [Cue(1000, 2500, ("Hello", "world"), (Word("Hello", 1000, 1500),
                                                 Word("world", 1600, 2400)))]
    assert to_lrc(cues) == "[00:01.00]Hello world\n[00:02.50]\n"
    assert to_enhanced_lrc(cues) == (
        "[00:01.00]<00:01.00>Hello <00:01.60>world <00:02.50>\n[00:02.50]\n")


def test_vtt_escapes_what_webvtt_forbids() -> None:
    text = to_vtt([Cue(0, 1000, ("Tom & Jerry <3 --> go",))])
    assert "Tom &amp; Jerry &lt;3 --&gt; go" in text
    subs = pysubs2.SSAFile.from_string(text, format_="vtt")
    assert html.unescape(subs.events[0].plaintext) == "Tom & Jerry <3 --> go"


def test_ass_is_styled_and_keeps_backslashes_literal() -> None:
    text = to_ass([Cue(0, 1000, (r"C:\Nope and \h too",))])
    subs = pysubs2.SSAFile.from_string(text)
    style = subs.styles["Default"]
    assert (style.fontname, style.fontsize, style.outline) == ("DejaVu Sans", 56, 3.0)
    assert (style.marginv, int(style.alignment)) == (60, 2)
    assert subs.info["PlayResY"] == "1080"
    assert subs.events[0].plaintext.replace("\u2060", "") == r"C:\Nope and \h too"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_empty_cue_lists_still_give_valid_files(fmt: str, tmp_path: Path) -> None:
    path = write_all([], tmp_path, "empty", (fmt,))[fmt]
    if fmt == "vtt":
        assert path.read_text() == "WEBVTT\n\n"
