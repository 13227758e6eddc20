"""Stages 'exporting' and 'completed' without Dagster: subtitle files, then the library row."""

import re
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.atomic import write_json_atomic
from media_pipeline.library.db import Library
from media_pipeline.stages.cues_file import StepResult, read_cues
from media_pipeline.subtitles.export import DEFAULT_FORMATS, write_all
from media_pipeline.subtitles.voices import speakers_in
from media_pipeline.text.speaker_cues import renamed


def subtitles_step(cues_file: Path, stem: str, out_dir: Path, karaoke: bool = False,
                   speaker_names: dict[str, str] | None = None,
                   speaker_prefix: bool = False) -> StepResult:
    """Every subtitle format as ``<stem>.<ext>``; songs with lyrics get a karaoke ASS too.
    Speakers are shown under the names the user gave them (``speaker_names``)."""
    cues = renamed(read_cues(cues_file), speaker_names or {})
    formats = (*DEFAULT_FORMATS, "karaoke") if karaoke else DEFAULT_FORMATS
    paths = write_all(cues, out_dir, safe_stem(stem), formats, speaker_prefix)
    return ({fmt: p.name for fmt, p in paths.items()},
            {"cue_count": len(cues), "formats": sorted(paths), "speakers": speakers_in(cues)})


def safe_stem(name: str) -> str:
    """A file-system-safe stem from a user's file name (no separators, no dot files)."""
    stem = re.sub(r"[^\w.\- ]+", "_", Path(name).stem).strip(" .") or "subtitles"
    return stem[:120]


@dataclass(frozen=True)
class LibraryFacts:
    """What the library row says of a finished media, gathered from its artifacts."""

    duration_s: float
    language: str
    word_count: int
    model: str
    fingerprint: str
    outputs: dict[str, str]
    cues_file: Path
    """The edited cues: what the subtitles say, and what ``search`` finds."""
    language_probability: float | None = None
    """How sure the language detection was (1.0 when forced)."""
    speaker_names: dict[str, str] | None = None
    """The names the user gave the speakers: the library keeps each cue's speaker by name."""


def library_step(library: Library, key: str, facts: LibraryFacts, out_dir: Path) -> StepResult:
    """Save the finished media in the library: outputs, duration, language, cue text."""
    cues = renamed(read_cues(facts.cues_file), facts.speaker_names or {})
    library.save_entry(
        key, duration_s=facts.duration_s, language=facts.language, model=facts.model,
        fingerprint=facts.fingerprint, outputs=facts.outputs,
        cues=[(c.start_ms, c.end_ms, c.text) for c in cues], word_count=facts.word_count,
        language_probability=facts.language_probability,
        speakers=[c.speaker for c in cues] if any(c.speaker for c in cues) else None)
    entry = {"key": key, "outputs": facts.outputs, "fingerprint": facts.fingerprint}
    write_json_atomic(out_dir / "entry.json", entry)
    return {"entry": "entry.json"}, {"outputs": facts.outputs, "cue_count": len(cues)}
