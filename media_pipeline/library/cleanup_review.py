"""Review of cleanup changes for one media: what a run changed, and which to revert.

Shared by ``media-pipeline cleanup`` and the jobs API. The cues step stores each run's
changes in ``cleanup.json``; the user's reverts live in the library
(``library/cleanup_reverts.py``) and reach the next run through the cues' fingerprint.
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from media_pipeline.errors import MediaPipelineError
from media_pipeline.text.edit_log import Change

CHANGE_KINDS = ("whitespace", "quotes", "hallucination", "repeat", "dictionary")


class UnknownChangeError(MediaPipelineError):
    """A change id that the media's run did not make."""


def latest_cues_dir(artifacts_dir: Path, key: str) -> Path:
    """The media's most recently sealed ``cues`` artifact directory."""
    sealed = [m.parent for m in (artifacts_dir / key).glob("cues-*/manifest.json")]
    if not sealed:
        raise MediaPipelineError(f"media {key} has no cues yet: process it first")
    return max(sealed, key=lambda d: (d / "manifest.json").stat().st_mtime_ns)


def change_rows(cleanup_file: Path, reverted: set[str]) -> list[dict[str, Any]]:
    """Every change of one run, applied or undone, in time order, each with its ``state``.

    ``reverted``: the ids the user asked to revert (the run may predate the request).
    """
    data = json.loads(cleanup_file.read_text(encoding="utf-8"))
    rows = []
    for record in data.get("changes", []):
        row = Change.from_record(record).to_dict()
        row["state"] = "to revert on next run" if row["id"] in reverted else "applied"
        rows.append(row)
    for row in data.get("undone", []):
        rows.append({**row, "state": "reverted" if row["id"] in reverted
                     else "to restore on next run"})
    for row in data.get("undo_refused", []):
        rows.append({**row, "state": "revert refused: " + str(row.get("reason", ""))})
    return sorted(rows, key=lambda r: (int(r["start_ms"]), str(r["id"])))


def choose_ids(rows: Sequence[dict[str, Any]], ids: Sequence[str], every: bool = False,
               kind: str | None = None) -> list[str]:
    """The ids to act on: ``ids`` (each must be one of ``rows``), or with ``every`` all rows
    (of ``kind`` when given)."""
    if every == bool(ids):
        raise UnknownChangeError("give change ids or all (not both)")
    if kind is not None and kind not in CHANGE_KINDS:
        raise UnknownChangeError(f"unknown change kind {kind!r} ({', '.join(CHANGE_KINDS)})")
    if ids:
        known = {str(r["id"]) for r in rows}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UnknownChangeError(f"no change with id {', '.join(unknown)} in this media's "
                                     "latest run")
        return list(dict.fromkeys(ids))
    return [str(r["id"]) for r in rows if kind in (None, r["kind"])]
