"""Who says each cue and line, as the subtitle formats show it (voice spans, styles, prefixes).

A file shows speakers only when its cues name more than one: a one-voice file gets no
spans, styles or prefixes.
"""

from collections.abc import Sequence
from dataclasses import replace

from media_pipeline.subtitles.model import Cue, Word

DASH = "- "
"""The dual-speaker style's line opener."""


def speaker_runs(words: Sequence[Word]) -> list[list[Word]]:
    """Consecutive words of one speaker, in order."""
    runs: list[list[Word]] = []
    for w in words:
        if runs and runs[-1][-1].speaker == w.speaker:
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs


def line_speakers(cue: Cue) -> list[str]:
    """The speaker of each line of ``cue``: a dash cue's lines follow its words' speaker
    runs; any other cue's lines are all its speaker's."""
    runs = [run[0].speaker for run in speaker_runs(cue.words)]
    if len(cue.lines) > 1 and len(runs) == len(cue.lines) and \
            all(line.startswith(DASH) for line in cue.lines):
        return runs
    return [cue.speaker] * len(cue.lines)


def speakers_in(cues: Sequence[Cue]) -> list[str]:
    """The distinct speakers of ``cues`` (and of their words), in order of appearance."""
    seen: dict[str, None] = {}
    for c in cues:
        for name in (c.speaker, *(w.speaker for w in c.words)):
            if name:
                seen.setdefault(name, None)
    return list(seen)


def shows_speakers(cues: Sequence[Cue]) -> bool:
    """Whether the formats should name speakers: more than one speaker in ``cues``."""
    return len(speakers_in(cues)) > 1


def prefixed(cues: Sequence[Cue]) -> list[Cue]:
    """Cues whose first line (each line of a dash cue) begins with "Speaker: "."""
    out = []
    for c in cues:
        lines = list(c.lines)
        for i, speaker in enumerate(line_speakers(c)):
            if not speaker or (i and not lines[i].startswith(DASH)):
                continue
            dash = DASH if lines[i].startswith(DASH) else ""
            lines[i] = f"{dash}{speaker}: {lines[i][len(dash):]}"
        out.append(replace(c, lines=tuple(lines)))
    return out
