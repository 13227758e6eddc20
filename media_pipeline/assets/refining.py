"""Stage 'refining': cleanup, word timing and segmentation into cues, then AI correction."""

from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline import refine, steps
from media_pipeline.assets.partitioned import materialize_partitions, upstream_file
from media_pipeline.assets.preprocessing import COMMON
from media_pipeline.assets.transcription import transcript
from media_pipeline.fingerprints import CODE_VERSIONS
from media_pipeline.library.cleanup_reverts import reverts_resolver
from media_pipeline.library.dictionary import DictionaryStore
from media_pipeline.music import music_context
from media_pipeline.resources.pipeline import PipelineConfig, StorageResource
from media_pipeline.settings import correction_api_key

ASSET: dict[str, Any] = COMMON  # typed for mypy: partitions, backfill policy, group


def cue_preview(cues_file: Path, limit: int = 8) -> dg.MetadataValue:
    """The first cues as a markdown table for the Dagster UI."""
    rows = ["| # | start | end | text |", "|---|---|---|---|"]
    for i, c in enumerate(steps.read_cues(cues_file)[:limit], 1):
        text = c.text.replace("|", "\\|")
        rows.append(f"| {i} | {c.start_ms / 1000:.2f} | {c.end_ms / 1000:.2f} | {text} |")
    return dg.MetadataValue.md("\n".join(rows))


def _changes_table(changes: list[dict[str, Any]]) -> dg.MetadataValue:
    # The id is what `media-pipeline cleanup revert` takes.
    rows = ["| id | at | kind | before | after | rule |", "|---|---|---|---|---|---|"]
    for c in changes:
        cells = [str(c[k]).replace("|", "\\|") for k in ("before", "after", "detail")]
        rows.append(f"| {c.get('id', '')} | {int(c['start_ms']) / 1000:.2f} | {c['kind']} | "
                    f"{' | '.join(cells)} |")
    return dg.MetadataValue.md("\n".join(rows) if changes else "no cleanup changes")


def _describe(key: str, manifest: dict[str, Any], out: Path) -> dict[str, Any]:
    return {"first_cues": cue_preview(out / manifest["files"]["cues"]),
            "cleanup_table": _changes_table(manifest["info"].get("cleanup_examples", []))}


@dg.asset(code_version=CODE_VERSIONS["cues"], deps=[transcript], **ASSET)
def cues(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
         storage: StorageResource) -> dg.MaterializeResult:
    """Cleaned (dictionary applied), re-timed words segmented by the run's style-guide profile."""
    settings = pipeline.settings()
    refine.profile_for(settings)  # an unknown profile fails before any work
    dictionary = DictionaryStore(storage.library()).resolver()
    undo = reverts_resolver(storage.library())

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        src = upstream_file(storage, settings, fps, key, "transcript", "transcript")
        music = music_context(storage.root, storage.artifacts, fps, key)  # lyrics, beats
        return refine.cues_step(src, settings, dictionary(key), out, music, undo(key))
    return materialize_partitions(context, "cues", pipeline, storage, compute, _describe)


@dg.asset(code_version=CODE_VERSIONS["corrected_cues"], deps=[cues], **ASSET)
def corrected_cues(context: dg.AssetExecutionContext, pipeline: PipelineConfig,
                   storage: StorageResource) -> dg.MaterializeResult:
    """AI-corrected cue text (timings never move); passes through while correction is off."""
    settings = pipeline.settings()
    api_key = correction_api_key() if settings.correction_enabled else None

    def compute(key: str, out: Path, fps: dict[str, str]) -> steps.StepResult:
        src = upstream_file(storage, settings, fps, key, "cues", "cues")
        tr = storage.artifacts.manifest(key, "transcript", fps["transcript"])
        language = str(tr["info"].get("language") or "") if tr else ""
        return refine.corrected_cues_step(src, settings, api_key, language, out)
    return materialize_partitions(context, "corrected_cues", pipeline, storage, compute)
