"""The files stages exchange: cue lists and small JSON summaries."""

import json
import os
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_json_atomic
from media_pipeline.subtitles.model import Cue, cues_from_dicts, cues_to_dicts

StepResult = tuple[dict[str, str], dict[str, Any]]
"""What a stage returns: the file names it wrote into its folder, and a JSON-ready summary."""


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def write_cues(path: Path, cues: list[Cue]) -> None:
    write_json_atomic(path, {"cues": cues_to_dicts(cues)})


def read_cues(path: Path) -> list[Cue]:
    return cues_from_dicts(json.loads(path.read_text(encoding="utf-8"))["cues"])


def refer(source: Path, out_dir: Path) -> str:
    """A manifest file name that points at ``source`` (an unchanged upstream file) instead of
    a copy of it."""
    return os.path.relpath(source.resolve(), out_dir.resolve())
