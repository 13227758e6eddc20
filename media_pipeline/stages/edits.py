"""Stage 'refining', last step, without Dagster: the user's segment edits applied to the cues."""

from collections.abc import Callable, Sequence
from pathlib import Path

from media_pipeline.library.edits import Segment
from media_pipeline.library.edits import edited_cues as apply_edits
from media_pipeline.stages.cues_file import StepResult, read_cues, refer, write_cues


def edited_cues_step(cues_file: Path, edits: tuple[Sequence[Segment], int] | None,
                     layout: Callable[[str], tuple[str, ...]], out_dir: Path) -> StepResult:
    """The cues with ``edits`` (segments, version) applied; a reference while nothing was
    edited, so an unedited file is not written again."""
    if edits is None:
        cue_count = len(read_cues(cues_file))
        return {"cues": refer(cues_file, out_dir)}, {"edited": False, "cue_count": cue_count,
                                                      "edit_version": 0}
    cues = apply_edits(read_cues(cues_file), list(edits[0]), layout)
    write_cues(out_dir / "cues.json", cues)
    return {"cues": "cues.json"}, {"edited": True, "cue_count": len(cues),
                                   "edit_version": edits[1]}
