"""Stage 'refining', last step: the user's segment edits (API) applied to the cues.

``edited_cues`` passes ``corrected_cues`` through until someone edits a segment; then it
applies the current edit list from the library (undo/redo included). Its manifest records
the edit version it applied, and an artifact made from an older version is unsealed and
redone, so an edit re-exports ``subtitles`` (a new materialization that reads these cues)
while a rerun without edits stays free.
"""

from pathlib import Path

import dagster as dg

from media_pipeline.assets.partitioned import materialize_partitions, subtitle_asset, unseal_if_not
from media_pipeline.library.db import holding
from media_pipeline.library.edits import EditStore, Segment, cues_base
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.stages.edits import edited_cues_step
from media_pipeline.stages.refining import profile_for
from media_pipeline.text.linebreak import break_lines


def _current_edits(storage: StorageResource, edits: EditStore, key: str,
                   fingerprint: str) -> tuple[list[Segment], int] | None:
    if storage.artifacts.manifest(key, "corrected_cues", fingerprint) is None:
        return None  # compute() says that the upstream is missing
    return edits.current(key, cues_base(storage.artifacts.find(key, "corrected_cues",
                                                               fingerprint, "cues")))


@subtitle_asset("edited_cues")
def edited_cues(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                storage: StorageResource) -> dg.MaterializeResult:
    """The cues with the user's segment edits applied (unchanged while nothing was edited)."""
    settings = pipeline.settings()
    profile = profile_for(settings)
    edits = EditStore(storage.library())
    with holding(storage.data.library_path):  # one connection for a query per file
        key_fps = {key: storage.fingerprints(settings, key) for key in context.partition_keys}
        current = {key: _current_edits(storage, edits, key, fps["corrected_cues"])
                   for key, fps in key_fps.items()}
    for key, found in current.items():
        unseal_if_not(storage.artifacts, key, "edited_cues", key_fps[key]["edited_cues"],
                      found[1] if found else 0)

    def layout(text: str) -> tuple[str, ...]:
        return break_lines(text.split(), profile.max_chars_per_line, profile.max_lines) or (text,)

    def compute(key: str, out: Path, fps: dict[str, str]) -> StepResult:
        src = storage.artifacts.find(key, "corrected_cues", fps["corrected_cues"], "cues")
        return edited_cues_step(src, current[key], layout, out)
    return materialize_partitions(context, "edited_cues", pipeline, storage, compute)
