"""Stage 'refining', last step: the user's segment edits (API) applied to the cues.

``edited_cues`` passes ``corrected_cues`` through until someone edits a segment; then it
applies the current edit list from the library (undo/redo included). Its manifest records
the edit version it applied, and an artifact made from an older version is unsealed and
redone, so an edit re-exports ``subtitles`` (a new materialization that reads these cues)
while a rerun without edits stays free.
"""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import refine, steps
from media_pipeline.assets.partitioned import (
    materialize_partitions,
    unseal_if_not,
    upstream_file,
)
from media_pipeline.assets.preprocessing import COMMON
from media_pipeline.assets.refining import corrected_cues
from media_pipeline.fingerprints import CODE_VERSIONS
from media_pipeline.library.edits import EditStore, Segment, cues_base
from media_pipeline.library.edits import edited_cues as apply_edits
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource
from media_pipeline.storage import ArtifactStore
from media_pipeline.text.linebreak import break_lines

ASSET: dict[str, Any] = COMMON


def _current_edits(edits: EditStore, store: ArtifactStore, key: str,
                   fingerprint: str) -> tuple[list[Segment], int] | None:
    manifest = store.manifest(key, "corrected_cues", fingerprint)
    if manifest is None:
        return None  # compute() says that the upstream is missing
    base = cues_base(store.file(key, "corrected_cues", fingerprint, manifest["files"]["cues"]))
    return edits.current(key, base)


@dg.asset(code_version=CODE_VERSIONS["edited_cues"], deps=[corrected_cues], **ASSET)
def edited_cues(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                storage: StorageResource) -> dg.MaterializeResult:
    """The cues with the user's segment edits applied (a copy while nothing was edited)."""
    settings = pipeline.settings()
    profile = refine.profile_for(settings)
    edits = EditStore(storage.library())
    key_fps = {key: storage.fingerprints(settings, key) for key in context.partition_keys}
    current = {key: _current_edits(edits, storage.artifacts, key, fps["corrected_cues"])
               for key, fps in key_fps.items()}
    for key, found in current.items():
        unseal_if_not(storage.artifacts, key, "edited_cues", key_fps[key]["edited_cues"],
                      found[1] if found else 0)

    def layout(text: str) -> tuple[str, ...]:
        return break_lines(text.split(), profile.max_chars_per_line, profile.max_lines) or (text,)

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        src = upstream_file(storage, settings, fps, key, "corrected_cues", "cues")
        cues = steps.read_cues(src)
        found = current[key]
        if found is not None:
            cues = apply_edits(cues, found[0], layout)
        steps.write_cues(out / "cues.json", cues)
        return {"cues": "cues.json"}, {"edited": found is not None, "cue_count": len(cues),
                                       "edit_version": found[1] if found else 0}
    return materialize_partitions(context, "edited_cues", pipeline, storage, compute)
