import json

import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.confidence import (
    ConfidenceReport,
    LowCue,
    LowWord,
    confidence_report,
    format_ms,
)
from media_pipeline.subtitles.model import Cue, Word


def sample() -> list[Cue]:
    return [
        Cue(0, 1000, ("All clear",), (Word("All", 0, 400, 0.9), Word("clear", 400, 1000, 0.9))),
        Cue(
            1500,
            3000,
            ("Quinoa | kale",),
            (
                Word("Quinoa", 1500, 2000, 0.2),
                Word("|", 2000, 2100, 0.8),
                Word("kale", 2100, 3000, 0.4),
            ),
        ),
        Cue(3600, 4000, ("Edited by hand",)),  # no words: not judged
        Cue(3_723_004, 3_724_000, ("Hmm",), (Word("Hmm", 3_723_004, 3_724_000, 0.45),)),
    ]


def test_report_lists_low_words_and_cues_in_time_order() -> None:
    report = confidence_report(sample())
    assert report.word_count == 6
    assert report.mean_word_probability == pytest.approx((0.9 + 0.9 + 0.2 + 0.8 + 0.4 + 0.45) / 6)
    assert report.low_words == (
        LowWord("Quinoa", 1500, 2000, 0.2),
        LowWord("kale", 2100, 3000, 0.4),
        LowWord("Hmm", 3_723_004, 3_724_000, 0.45),
    )
    assert report.low_cues == (
        LowCue(1, 1500, 3000, "Quinoa | kale", 0.2),
        LowCue(3, 3_723_004, 3_724_000, "Hmm", 0.45),
    )
    # They are plain tuples too: (text, start_ms, end_ms, p) and (index, start, end, text, min_p).
    assert report.low_words[0] == ("Quinoa", 1500, 2000, 0.2)


def test_threshold_is_exclusive_and_configurable() -> None:
    assert confidence_report(sample(), threshold=0.2).low_words == ()
    assert len(confidence_report(sample(), threshold=0.95).low_cues) == 3
    with pytest.raises(ConfigurationError):
        confidence_report(sample(), threshold=1.5)


def test_no_words_means_no_mean() -> None:
    report = confidence_report([Cue(0, 1000, ("typed",))])
    assert report == ConfidenceReport(None, 0, 0.5, (), ())
    assert json.loads(report.to_json())["mean_word_probability"] is None
    assert (
        report.to_markdown()
        == "Mean word probability: n/a over 0 words; 0 words and 0 cues below 0.5.\n"
    )


def test_to_json() -> None:
    data = json.loads(confidence_report(sample()).to_json())
    assert data["mean_word_probability"] == 0.6083
    assert data["low_words"][0] == {"text": "Quinoa", "start_ms": 1500, "end_ms": 2000, "p": 0.2}
    assert data["low_cues"][1] == {
        "index": 3,
        "start_ms": 3_723_004,
        "end_ms": 3_724_000,
        "text": "Hmm",
        "min_p": 0.45,
    }


def test_to_markdown_is_a_table_worst_first() -> None:
    assert confidence_report(sample()).to_markdown() == (
        "Mean word probability: 0.608 over 6 words; 3 words and 2 cues below 0.5.\n"
        "\n"
        "| # | start | end | min p | text |\n"
        "|---:|---|---|---:|---|\n"
        "| 2 | 0:00:01.500 | 0:00:03.000 | 0.20 | Quinoa \\| kale |\n"
        "| 4 | 1:02:03.004 | 1:02:04.000 | 0.45 | Hmm |\n"
    )


def test_to_markdown_limit() -> None:
    text = confidence_report(sample()).to_markdown(limit=1)
    assert text.endswith(
        "| 2 | 0:00:01.500 | 0:00:03.000 | 0.20 | Quinoa \\| kale |\n\n… and 1 more cues.\n"
    )


def test_format_ms() -> None:
    assert format_ms(0) == "0:00:00.000"
    assert format_ms(3_723_004) == "1:02:03.004"
