"""The path_map setting: longest prefix wins, on whole path components."""

import pytest

from media_pipeline.store.path_map import PathMap, PathMapError


def test_the_longest_matching_prefix_wins_whatever_the_order() -> None:
    mapping = PathMap.parse("/media=/srv/all ; /media/tv=/srv/tv;/media/tv/kids=/mnt/kids")
    assert mapping.map("/media/tv/Show/S01E01.mkv") == "/srv/tv/Show/S01E01.mkv"
    assert mapping.map("/media/tv/kids/Cartoon.mkv") == "/mnt/kids/Cartoon.mkv"
    assert mapping.map("/media/movies/Film.mkv") == "/srv/all/movies/Film.mkv"


def test_prefixes_match_whole_components_only() -> None:
    mapping = PathMap.parse("/media/tv=/srv/tv")
    assert mapping.map("/media/tvshows/x.mkv") is None
    assert mapping.map("/media/tv") == "/srv/tv"
    assert mapping.map("/other/x.mkv") is None


def test_trailing_and_repeated_separators_do_not_matter() -> None:
    mapping = PathMap.parse("/data/media/=/library/")
    assert mapping.map("/data//media/music/a.flac") == "/library/music/a.flac"


def test_windows_paths_of_the_server() -> None:
    mapping = PathMap.parse(r"D:\Media=/library;\\nas\share\tv=/library/tv")
    assert mapping.map(r"d:\Media\Movies\Film (2001).mkv") == "/library/Movies/Film (2001).mkv"
    assert mapping.map(r"\\nas\share\tv\Show\e1.mkv") == "/library/tv/Show/e1.mkv"


def test_a_root_prefix_maps_everything() -> None:
    assert PathMap.parse("/=/mnt/server").map("/a/b.wav") == "/mnt/server/a/b.wav"
    assert PathMap.parse("/srv=/").map("/srv/a.wav") == "/a.wav"


def test_no_pairs_keeps_the_path() -> None:
    assert PathMap.parse("").map("/media/x.mkv") == "/media/x.mkv"
    assert PathMap.parse(" ; ").map("/media/x.mkv") == "/media/x.mkv"


@pytest.mark.parametrize("text", ["/media", "=/srv", "/media=", "/a=/b;/a/=/c"])
def test_malformed_settings_are_refused(text: str) -> None:
    with pytest.raises(PathMapError):
        PathMap.parse(text)
