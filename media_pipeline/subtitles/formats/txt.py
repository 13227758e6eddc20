"""Plain text: cue texts joined into paragraphs, a new one after a long pause."""

from media_pipeline.subtitles.model import Cue, display_line, join_words
from media_pipeline.subtitles.voices import shows_speakers

PARAGRAPH_PAUSE_MS = 2000


def to_txt(cues: list[Cue], speaker_prefix: bool = False) -> str:
    """Paragraphs of cue text; with more than one speaker a new one at each change of
    speaker, begun with "Speaker 1: " when ``speaker_prefix``."""
    voices = shows_speakers(cues)
    paragraphs: list[list[str]] = []
    last_end: int | None = None
    last_speaker = ""
    for c in cues:
        turn = voices and c.speaker != last_speaker
        if last_end is None or c.start_ms - last_end >= PARAGRAPH_PAUSE_MS or turn:
            paragraphs.append([f"{c.speaker}:"] if voices and speaker_prefix else [])
        paragraphs[-1].append(display_line(c.text))
        last_end, last_speaker = c.end_ms, c.speaker
    return "\n\n".join(join_words(p) for p in paragraphs) + ("\n" if paragraphs else "")
