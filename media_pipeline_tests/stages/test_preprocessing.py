"""The preprocessing steps on a video with two audio tracks: the probe lists the tracks, the
vocals step picks one and records it, the speech decode reads that one (real ffmpeg)."""

from dataclasses import replace
from pathlib import Path

import pytest

from media_pipeline.audio.wav import read_wav
from media_pipeline.errors import AudioTrackError
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.preprocessing import (
    TRACK_FIELDS,
    probe_step,
    speech_audio_step,
    vocals_step,
)
from media_pipeline_tests.multitrack_media import (
    ENGLISH,
    GERMAN,
    Track,
    build_multitrack,
    correlation,
)


@pytest.fixture(scope="module")
def movie(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    return build_multitrack(tmp_path_factory.mktemp("movie") / "movie.mkv", corpus)


def test_probe_json_lists_audio_and_subtitle_tracks(movie: Path, tmp_path: Path) -> None:
    files, info = probe_step(movie, tmp_path)
    assert (tmp_path / files["probe"]).is_file()
    assert [(t["track"], t["stream_index"], t["language"], t["title"], t["default"])
            for t in info["audio_tracks"]] == [(0, 1, "eng", "English", False),
                                                (1, 2, "ger", "Deutsch", True)]
    assert info["audio_tracks"][0]["channels"] == 1
    assert info["subtitle_tracks"] == [{
        "stream_index": 3, "codec": "srt", "language": "eng", "title": "English (forced)",
        "default": False, "forced": True, "hearing_impaired": False}]
    assert abs(info["duration_s"] - 8.0) < 0.1


@pytest.mark.parametrize(("choice", "track", "expected"), [
    ({}, 1, GERMAN), ({"audio_language": "en"}, 0, ENGLISH),
    ({"audio_language": "eng"}, 0, ENGLISH), ({"audio_language": "deu"}, 1, GERMAN),
    ({"audio_track": 0}, 0, ENGLISH), ({"audio_track": 1}, 1, GERMAN)])
def test_the_chosen_track_is_recorded_and_decoded(movie: Path, tmp_path: Path, corpus: Path,
                                                  choice: dict[str, object], track: int,
                                                  expected: Track) -> None:
    settings = replace(PipelineSettings(), **choice)  # type: ignore[arg-type]
    _, vocals = vocals_step(movie, settings, tmp_path / "models", 8.0, tmp_path)
    assert vocals["audio_track"] == vocals["decode_track"] == track
    assert vocals["audio_stream_index"] == track + 1  # stream 0 is the video
    assert vocals["audio_language"] == expected.language
    recorded = {k: vocals[k] for k in TRACK_FIELDS}
    files, info = speech_audio_step(Path(vocals["audio_file"]), -20.0, tmp_path,
                                    vocals["decode_track"], recorded)
    assert {k: info[k] for k in TRACK_FIELDS} == recorded
    samples, _ = read_wav(tmp_path / files["wav"])
    assert correlation(samples, corpus, expected) > 0.95  # loudness gain is a scale


@pytest.mark.parametrize(("choice", "message"), [
    ({"audio_language": "fr"}, "no audio track in language 'fr'; the file has 2 audio "
     'tracks: 0 eng "English", 1 ger "Deutsch" (default)'),
    ({"audio_track": 5}, "there is no audio track 5; the file has 2 audio tracks")])
def test_a_track_the_file_lacks_fails_with_the_tracks_it_has(
        movie: Path, tmp_path: Path, choice: dict[str, object], message: str) -> None:
    settings = replace(PipelineSettings(), **choice)  # type: ignore[arg-type]
    with pytest.raises(AudioTrackError) as error:
        vocals_step(movie, settings, tmp_path / "models", 8.0, tmp_path)
    assert error.value.user_message.startswith(message)
    assert "\n" not in error.value.user_message


def test_single_track_files_are_unchanged(tmp_path: Path, corpus: Path) -> None:
    jfk = corpus / "jfk" / "jfk.wav"
    _, vocals = vocals_step(jfk, PipelineSettings(), tmp_path / "models", 11.0, tmp_path)
    assert (vocals["audio_track"], vocals["decode_track"], vocals["audio_chosen_by"]) == (
        0, 0, "default")
    # an untagged lone track cannot contradict a library-wide audio_language
    _, vocals = vocals_step(jfk, replace(PipelineSettings(), audio_language="de"), tmp_path,
                            11.0, tmp_path)
    assert (vocals["audio_track"], vocals["audio_chosen_by"]) == (0, "only_track")
