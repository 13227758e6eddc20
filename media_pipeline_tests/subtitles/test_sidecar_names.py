from pathlib import Path

import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.sidecar_names import (
    covering_subtitles,
    decide_write,
    language_tags,
    parse_formats,
    sidecar_name,
    target_folder,
)


def test_names_are_media_stem_language_extension() -> None:
    assert sidecar_name("ep1.mkv", "en", "srt") == "ep1.en.srt"
    assert sidecar_name("Movie (2020).1080p.mkv", "de", "vtt") == "Movie (2020).1080p.de.vtt"
    assert sidecar_name("song.flac", "fr", "elrc") == "song.fr.enhanced.lrc"


def test_output_dir_mirrors_the_tree_below_the_root() -> None:
    src = Path("/lib/TV/Show/S01/ep1.mkv")
    assert target_folder(src, Path("/lib/TV"), None) == Path("/lib/TV/Show/S01")
    assert target_folder(src, Path("/lib/TV"), Path("/out")) == Path("/out/Show/S01")
    assert target_folder(src, None, Path("/out")) == Path("/out")
    assert target_folder(src, Path("/elsewhere"), Path("/out")) == Path("/out")


def test_formats_are_checked_and_deduplicated() -> None:
    assert parse_formats("srt, VTT,srt") == ("srt", "vtt")
    with pytest.raises(ConfigurationError, match="docx"):
        parse_formats("srt,docx")
    with pytest.raises(ConfigurationError):
        parse_formats(" , ")


def test_language_tags_know_both_iso_639_2_codes_and_the_name() -> None:
    assert language_tags("de") == {"de", "ger", "deu", "german"}
    assert "en" in language_tags("ENG")
    assert language_tags("xx") == {"xx"}


@pytest.mark.parametrize(("name", "covers"), [
    ("ep1.en.srt", True), ("ep1.eng.srt", True), ("ep1.English.ass", True),
    ("ep1.en.sdh.srt", True), ("ep1.en-US.vtt", True), ("ep1.EN.SRT", True),
    ("ep1.en.forced.srt", False),  # covers foreign passages only
    ("ep1.srt", False),  # language unknown
    ("ep1.de.srt", False), ("ep10.en.srt", False), ("ep1.en.txt", False),
    ("ep1.en.nfo", False),
])
def test_which_files_give_a_media_a_subtitle_in_a_language(name: str, covers: bool) -> None:
    assert covering_subtitles([name], "ep1.mkv", "en") == ([name] if covers else [])


def test_region_variants_and_ignored_files() -> None:
    assert covering_subtitles(["film.pt-BR.srt", "film.pt_br.ass"], "film.mp4", "pt") == [
        "film.pt-BR.srt", "film.pt_br.ass"]
    assert covering_subtitles(["ep1.en.srt"], "ep1.mkv", "en", ignore=["/x/ep1.en.srt"]) == []


@pytest.mark.parametrize(("on_disk", "written", "overwrite", "write", "outcome"), [
    (None, None, False, True, "written"),
    ("new", None, False, False, "unchanged"),
    ("new", "old", False, False, "unchanged"),
    ("old", "old", False, True, "updated"),
    ("user", None, False, False, "kept"),
    ("edited", "old", False, False, "kept"),  # ours, edited by the user: now the user's
    ("user", None, True, True, "replaced"),
])
def test_a_file_the_pipeline_did_not_write_is_kept_unless_overwrite(
        on_disk: str | None, written: str | None, overwrite: bool, write: bool,
        outcome: str) -> None:
    decision = decide_write(on_disk, "new", written, overwrite)
    assert (decision.write, decision.outcome) == (write, outcome)
