"""Choosing the audio track: language tags in any ISO 639 form, indexes, the default flag;
and the chosen stream is what every decoder reads (real ffmpeg, real multi-track MKV)."""

from pathlib import Path

import numpy as np
import pytest

from media_pipeline.audio.decode import decode_mono
from media_pipeline.audio.music_detect import WindowFeatures, detect_music
from media_pipeline.audio.probe import StreamInfo, decoded_duration_s, probe_media
from media_pipeline.audio.separation import stream_pcm
from media_pipeline.audio.tracks import choose_audio_track, language_key
from media_pipeline.errors import AudioTrackError, MediaPipelineError
from media_pipeline_tests.multitrack_media import (
    ENGLISH,
    GERMAN,
    Track,
    build_multitrack,
    correlation,
)


def audio(index: int, language: str | None, default: bool = False, title: str | None = None,
          commentary: bool = False) -> StreamInfo:
    return StreamInfo(index, "audio", "aac", 48000, 2, language=language, title=title,
                      default=default, commentary=commentary)


def distance(window: WindowFeatures, corpus: Path, track: Track) -> float:
    """How far music detection's numbers for ``window`` are from those of ``track``'s clip
    decoded alone."""
    [alone] = detect_music(corpus.joinpath(*track.clip), 8.0).windows
    return float(np.hypot.reduce([window.low_energy - alone.low_energy,
                                  window.stability - alone.stability,
                                  window.flatness - alone.flatness,
                                  (window.level_db - alone.level_db) / 10]))


TRACKS = (audio(1, "eng", title="English"), audio(2, "ger", default=True, title="Deutsch"))


@pytest.mark.parametrize("tags", [("de", "ger", "deu", "DE", "de-DE", "de_AT"),
                                  ("fr", "fre", "fra"), ("zh", "chi", "zho"),
                                  ("en", "eng", "en-US")])
def test_every_form_of_a_language_tag_is_one_language(tags: tuple[str, ...]) -> None:
    assert len({language_key(t) for t in tags}) == 1


def test_the_default_is_the_default_flagged_track_else_the_first() -> None:
    chosen = choose_audio_track(TRACKS)
    assert (chosen.track, chosen.stream.index, chosen.chosen_by) == (1, 2, "default")
    unflagged = (audio(1, "eng"), audio(2, "ger"))
    assert choose_audio_track(unflagged).track == 0


@pytest.mark.parametrize(("language", "track"), [("en", 0), ("eng", 0), ("de", 1),
                                                 ("deu", 1), ("ger", 1)])
def test_a_language_picks_its_track(language: str, track: int) -> None:
    chosen = choose_audio_track(TRACKS, -1, language)
    assert (chosen.track, chosen.chosen_by) == (track, "audio_language")


def test_an_index_wins_over_a_language() -> None:
    assert choose_audio_track(TRACKS, 0, "de").track == 0
    assert choose_audio_track(TRACKS, 1).chosen_by == "audio_track"


def test_among_tracks_of_a_language_the_default_then_not_commentary() -> None:
    tracks = (audio(1, "eng", title="Director's commentary"), audio(2, "eng"),
              audio(3, "eng", commentary=True), audio(4, "ger", default=True))
    assert choose_audio_track(tracks, -1, "en").track == 1
    flagged = (audio(1, "eng"), audio(2, "eng", default=True))
    assert choose_audio_track(flagged, -1, "en").track == 1


def test_a_missing_track_is_one_line_listing_the_tracks() -> None:
    with pytest.raises(AudioTrackError) as missing:
        choose_audio_track(TRACKS, -1, "fr")
    assert isinstance(missing.value, MediaPipelineError)
    assert missing.value.user_message == (
        "no audio track in language 'fr'; the file has 2 audio tracks: "
        '0 eng "English", 1 ger "Deutsch" (default)')
    with pytest.raises(AudioTrackError, match=r"there is no audio track 2; the file has 2 "):
        choose_audio_track(TRACKS, 2)
    untagged = (audio(1, None), audio(2, None))
    with pytest.raises(AudioTrackError, match=r"language 'de'; the file has 2 audio tracks: "
                       r"0 und, 1 und$"):
        choose_audio_track(untagged, -1, "de")
    with pytest.raises(AudioTrackError, match=r"1 audio track: 0 eng$"):
        choose_audio_track((audio(1, "eng"),), -1, "de")


def test_a_lone_untagged_track_serves_any_language() -> None:
    chosen = choose_audio_track((audio(0, None),), -1, "de")
    assert (chosen.track, chosen.chosen_by) == (0, "only_track")


def test_the_probe_lists_audio_and_subtitle_tracks(tmp_path: Path, corpus: Path) -> None:
    probe = probe_media(build_multitrack(tmp_path / "movie.mkv", corpus))
    [first, second] = probe.audio_tracks
    assert (first.language, first.title, first.default, first.channels) == (
        "eng", "English", False, 1)
    assert (second.language, second.title, second.default) == ("ger", "Deutsch", True)
    assert probe.audio == second  # the default track
    [subs] = probe.subtitle_tracks
    assert (subs.codec, subs.language, subs.title, subs.forced, subs.default) == (
        "srt", "eng", "English (forced)", True, False)


def test_every_decoder_reads_the_chosen_stream(tmp_path: Path, corpus: Path) -> None:
    movie = build_multitrack(tmp_path / "movie.mkv", corpus)
    for stream, track, other in ((0, ENGLISH, GERMAN), (1, GERMAN, ENGLISH)):
        samples = decode_mono(movie, track=stream)
        assert correlation(samples, corpus, track) > 0.99
        assert abs(correlation(samples, corpus, other)) < 0.2
        streamed = np.concatenate(list(stream_pcm(movie, 16000, 1, 16000, stream)))[:, 0]
        assert correlation(streamed, corpus, track) > 0.99  # Demucs' and beats' reader
        assert abs(decoded_duration_s(movie, stream) - 8.0) < 0.1
        [window] = detect_music(movie, 8.0, stream).windows
        assert distance(window, corpus, track) < distance(window, corpus, other)
    # by default, the first audio stream (a decoded stem has only one)
    assert correlation(decode_mono(movie), corpus, ENGLISH) > 0.99
