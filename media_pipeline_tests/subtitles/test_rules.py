from pathlib import Path

from media_pipeline.subtitles.formats.srt import to_srt
from media_pipeline.subtitles.model import Cue
from media_pipeline.subtitles.rules import (
    RULES,
    RuleLimits,
    check_cues,
    check_srt_file,
    cue_cps,
)

LIMITS = RuleLimits(max_chars_per_line=42, max_lines=2, min_duration_ms=834,
                    max_duration_ms=7000, max_cps=20.0, min_gap_ms=84)


def offenders(cues: list[Cue]) -> dict[str, list[int]]:
    return {rule: [v.index for v in found] for rule, found in check_cues(cues, LIMITS).items()}


def test_good_cues_break_no_rule() -> None:
    cues = [Cue(0, 2000, ("Hello there,", "how are you?")), Cue(2084, 4000, ("Fine.",))]
    assert offenders(cues) == {rule: [] for rule in RULES}


def test_each_rule_names_its_offending_cue() -> None:
    cues = [
        Cue(0, 3000, ("x" * 43,)),                      # 0: line too long
        Cue(3100, 6000, ("one", "two", "three")),        # 1: three lines
        Cue(6100, 6500, ("short",)),                     # 2: too short
        Cue(6600, 14000, ("far too long",)),             # 3: too long (and gap to 4 ok)
        Cue(14100, 15000, ("a" * 30,)),                  # 4: 33 cps; gap to 5 is 50 ms
        Cue(15050, 17000, ("next",)),                    # 5: overlaps 6
        Cue(16900, 18000, ("overlapping",)),             # 6
    ]
    got = offenders(cues)
    assert got["line_length"] == [0]
    assert got["line_count"] == [1]
    assert got["duration"] == [2, 3]
    assert got["cps"] == [4]  # 30 characters in 0.9 s
    assert got["gap"] == [4]
    assert got["overlap"] == [5]


def test_cps_counts_displayed_characters_only() -> None:
    cue = Cue(0, 1000, ("abcde", "fghij"))
    assert cue_cps(cue) == 10.0  # the line break is not a character


def test_check_srt_file_reads_what_players_read(tmp_path: Path) -> None:
    path = tmp_path / "a.srt"
    path.write_text(to_srt([Cue(0, 500, ("Too quick",)), Cue(600, 2000, ("Fine", "two lines"))]),
                    encoding="utf-8")
    count, found = check_srt_file(path, LIMITS)
    assert count == 2
    assert [v.index for v in found["duration"]] == [0]
    assert found["duration"][0].to_dict()["cue"] == 1
    assert {v.index for broken in found.values() for v in broken} == {0}  # the second is fine


def test_an_empty_file_has_no_cues_and_breaks_no_rule(tmp_path: Path) -> None:
    path = tmp_path / "silence.srt"
    path.write_text("", encoding="utf-8")
    count, found = check_srt_file(path, LIMITS)
    assert count == 0 and not any(found.values())
