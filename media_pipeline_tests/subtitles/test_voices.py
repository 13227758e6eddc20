"""Speakers in the files: WebVTT voice spans, an ASS style per speaker, SRT/TXT prefixes."""

import re

import pysubs2

from media_pipeline.subtitles.export import render
from media_pipeline.subtitles.model import Cue, Word, cues_from_dicts, cues_to_dicts


def _cue(start_ms: int, text: str, speaker: str) -> Cue:
    words = tuple(Word(w, start_ms + i * 200, start_ms + i * 200 + 150, 0.9, speaker)
                  for i, w in enumerate(text.split()))
    return Cue(start_ms, start_ms + 1500, (text,), words, speaker)


CUES = [_cue(0, "Hello there.", "Speaker 1"), _cue(2000, "Hi <you> & co.", "Ann > Bo"),
        _cue(4000, "Bye.", "Speaker 1")]
DASH = Cue(6000, 8000, ("- Yes?", "- No."),
           (Word("Yes?", 6000, 6500, 1, "Speaker 1"), Word("No.", 7000, 7500, 1, "Ann > Bo")),
           "Speaker 1")


def test_vtt_voice_spans_name_each_speaker_and_parse_back() -> None:
    text = render([*CUES, DASH], "vtt")
    voices = re.findall(r"<v\s+([^>]+)>", text)
    assert voices == ["Speaker 1", "Ann &gt; Bo", "Speaker 1", "Speaker 1", "Ann &gt; Bo"]
    assert "<v Speaker 1>Hello there.\n" in text
    assert "<v Ann &gt; Bo>Hi &lt;you> &amp; co." in text
    assert "<v Speaker 1>- Yes?\n</v><v Ann &gt; Bo>- No.\n" in text
    parsed = pysubs2.SSAFile.from_string(text, format_="vtt")
    assert len(parsed.events) == 4


def test_one_speaker_gets_no_spans_styles_or_prefixes() -> None:
    alone = [_cue(0, "Hello there.", "Speaker 1"), _cue(2000, "Bye.", "Speaker 1")]
    assert "<v" not in render(alone, "vtt")
    assert "Speaker" not in render(alone, "srt", speaker_prefix=True)
    assert list(pysubs2.SSAFile.from_string(render(alone, "ass")).styles) == ["Default"]


def test_ass_has_one_coloured_style_per_speaker() -> None:
    subs = pysubs2.SSAFile.from_string(render(CUES, "ass"))
    assert list(subs.styles) == ["Default", "Speaker 1", "Ann > Bo"]
    assert subs.styles["Speaker 1"].primarycolor != subs.styles["Ann > Bo"].primarycolor
    assert [(e.style, e.name) for e in subs.events] == [
        ("Speaker 1", "Speaker 1"), ("Ann > Bo", "Ann > Bo"), ("Speaker 1", "Speaker 1")]


def test_srt_and_txt_prefix_only_when_asked() -> None:
    srt = render([*CUES, DASH], "srt", speaker_prefix=True)
    assert "\nSpeaker 1: Hello there.\n" in srt and "\nAnn > Bo: Hi <you> & co.\n" in srt
    assert "- Speaker 1: Yes?\n- Ann > Bo: No.\n" in srt
    assert "Speaker" not in render(CUES, "srt")
    txt = render(CUES, "txt", speaker_prefix=True)
    assert txt == "Speaker 1: Hello there.\n\nAnn > Bo: Hi <you> & co.\n\nSpeaker 1: Bye.\n"


def test_cues_json_keeps_speakers_and_stays_as_it_was_without() -> None:
    assert cues_from_dicts(cues_to_dicts(CUES)) == CUES
    plain = cues_to_dicts([Cue(0, 1000, ("a",), (Word("a", 0, 500),))])
    assert "speaker" not in plain[0] and "speaker" not in str(plain[0]["words"])
