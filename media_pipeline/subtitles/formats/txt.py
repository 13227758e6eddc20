"""Plain text: cue texts joined into paragraphs, a new one after a long pause."""

from media_pipeline.subtitles.model import Cue, display_line, join_words

PARAGRAPH_PAUSE_MS = 2000


def to_txt(cues: list[Cue]) -> str:
    paragraphs: list[list[str]] = []
    last_end: int | None = None
    for c in cues:
        if last_end is None or c.start_ms - last_end >= PARAGRAPH_PAUSE_MS:
            paragraphs.append([])
        paragraphs[-1].append(display_line(c.text))
        last_end = c.end_ms
    return "\n\n".join(join_words(p) for p in paragraphs) + ("\n" if paragraphs else "")
