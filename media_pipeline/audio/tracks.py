"""Which audio track of a file to transcribe: by index, by language tag, or the default.

Containers tag tracks with ISO 639-2 codes, in either of its forms (``ger`` bibliographic,
``deu`` terminological), sometimes with ISO 639-1 (``de``) or a BCP 47 tag (``de-DE``);
users say any of these. :func:`language_key` maps them all to one key, so ``de``, ``ger``
and ``deu`` pick the same track.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from media_pipeline.audio.probe import StreamInfo
from media_pipeline.errors import AudioTrackError
from media_pipeline.languages import LANGUAGES

_ALIASES = {three: two for two, (codes, _) in LANGUAGES.items() for three in codes}
_ALIASES.update({"jv": "jw", "iw": "he", "in": "id", "ji": "yi", "nb": "no"})


def language_key(tag: str | None) -> str:
    """One key per language for any ISO 639-1/-2 or BCP 47 tag ('' for none)."""
    base = (tag or "").strip().lower().replace("_", "-").split("-")[0]
    return _ALIASES.get(base, base)


@dataclass(frozen=True)
class ChosenTrack:
    """The audio track a file is transcribed from, and why."""

    track: int
    """Its position among the file's audio streams, from 0."""
    stream: StreamInfo
    chosen_by: str
    """``audio_track``, ``audio_language``, ``default``, or ``only_track`` (a language was
    asked for and the file's one audio track carries no language tag)."""

    def to_dict(self) -> dict[str, object]:
        return {"track": self.track, "stream_index": self.stream.index,
                "language": self.stream.language, "title": self.stream.title,
                "channels": self.stream.channels, "default": self.stream.default,
                "chosen_by": self.chosen_by}


def choose_audio_track(tracks: Sequence[StreamInfo], index: int = -1,
                       language: str = "") -> ChosenTrack:
    """The track ``index`` (0 = first audio stream) when given, else the one tagged
    ``language``, else the container's default; raises AudioTrackError listing the tracks.
    A file whose only audio track is untagged gives that track for any language.

    Among several tracks in the language, the default-flagged one wins, then one that is
    not commentary or audio description, then the first.
    """
    if not tracks:
        raise AudioTrackError("the file has no audio track")
    if index >= 0:
        if index >= len(tracks):
            raise AudioTrackError(f"there is no audio track {index}; the file has "
                                  f"{describe_tracks(tracks)}")
        return ChosenTrack(index, tracks[index], "audio_track")
    if language.strip():
        wanted = language_key(language)
        matches = [n for n, t in enumerate(tracks) if language_key(t.language) == wanted]
        if not matches and len(tracks) == 1 and not tracks[0].language:
            # One untagged track cannot contradict the language (most plain audio files):
            # a library-wide audio_language must not fail them all.
            return ChosenTrack(0, tracks[0], "only_track")
        if not matches:
            raise AudioTrackError(f"no audio track in language {language.strip()!r}; the "
                                  f"file has {describe_tracks(tracks)}")
        best = min(matches, key=lambda n: (not tracks[n].default, tracks[n].commentary
                                           or "commentary" in (tracks[n].title or "").lower()))
        return ChosenTrack(best, tracks[best], "audio_language")
    default = next((n for n, t in enumerate(tracks) if t.default), 0)
    return ChosenTrack(default, tracks[default], "default")


def describe_tracks(tracks: Sequence[StreamInfo]) -> str:
    """``2 audio tracks: 0 eng "English", 1 ger "Deutsch" (default)``: for one-line errors."""
    parts = []
    for n, t in enumerate(tracks):
        part = f"{n} {t.language or 'und'}"
        if t.title:
            part += f' "{t.title[:40]}"'
        if t.default:
            part += " (default)"
        parts.append(part)
    noun = "audio track" if len(tracks) == 1 else "audio tracks"
    return f"{len(tracks)} {noun}: " + ", ".join(parts)


def ffmpeg_map(track: int) -> str:
    """ffmpeg's ``-map`` value for audio track ``track`` (0: the first audio stream).

    Counted among audio streams, not by absolute index: PyAV's and the ffmpeg binary's
    libraries may not find a container's other streams (late data or subtitle streams of
    a transport stream) alike, and those do not shift the audio streams' order."""
    return f"0:a:{int(track)}"
