from pathlib import Path

import pytest

from media_pipeline.cli.main import main
from media_pipeline.errors import ConfigurationError
from media_pipeline.library.db import Library
from media_pipeline.library.search import search_library


def library_with_two_talks(path: Path) -> Library:
    library = Library(path)
    library.register("a" * 16, "jfk.wav", "/in/jfk.wav")
    library.save_entry("a" * 16, duration_s=11.0, language="en", model="tiny.en",
                       fingerprint="f", outputs={}, word_count=20, cues=[
                           (30, 2250, "And so my fellow\nAmericans"),
                           (2970, 8220, "ask not what your country\ncan do for you."),
                           (8310, 10450, "Ask what you can do for your country.")])
    library.register("b" * 16, "talk.mp3", "/in/talk.mp3")
    library.save_entry("b" * 16, duration_s=5.0, language="en", model="tiny.en",
                       fingerprint="f", outputs={}, word_count=6,
                       cues=[(0, 2000, "Growth was 100% this year"), (2500, 4000, "a_b test")])
    library.register("c" * 16, "broken.mp3", "/in/broken.mp3")
    library.set_status("c" * 16, "failed", "not a media file")
    return library


def test_phrases_are_found_across_line_breaks_cues_and_case(tmp_path: Path) -> None:
    library = library_with_two_talks(tmp_path / "lib.duckdb")
    [hit] = search_library(library, "FELLOW americans")  # a line break between the words
    assert (hit.key, hit.name, hit.start_ms, hit.text) == (
        "a" * 16, "jfk.wav", 30, "And so my fellow Americans")
    [spanning] = search_library(library, "americans ask not")  # over two cues: the first
    assert spanning.start_ms == 30
    assert [h.start_ms for h in search_library(library, "your country")] == [2970, 8310]
    assert [h.start_ms for h in search_library(library, "your country", limit=1)] == [2970]


def test_wildcard_characters_are_plain_text(tmp_path: Path) -> None:
    library = library_with_two_talks(tmp_path / "lib.duckdb")
    assert [h.text for h in search_library(library, "100%")] == ["Growth was 100% this year"]
    assert search_library(library, "10%") == []
    assert search_library(library, "a_b")[0].start_ms == 2500
    assert search_library(library, "axb") == []
    with pytest.raises(ConfigurationError):
        search_library(library, "   ")


def test_the_search_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library_with_two_talks(tmp_path / "library.duckdb")
    assert main(["search", "fellow", "Americans", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("jfk.wav  00:00.03  And so my fellow Americans  (aaaa")
    assert main(["search", "nobody said this", "--data-dir", str(tmp_path)]) == 1
