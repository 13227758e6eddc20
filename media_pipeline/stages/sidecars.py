"""Subtitle files beside the media (``write_beside``), without Dagster.

For every path a media was seen at that still holds it, each chosen format is written as
``<media stem>.<lang>.<ext>`` beside it (or in a mirror of its folder under ``output_dir``),
atomically, never over a file the pipeline did not write (unless ``overwrite``), and not at
all for a media that already has a subtitle in the language (``skip_existing``).
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from media_pipeline.atomic import write_bytes_atomic, write_json_atomic
from media_pipeline.library.sidecars import SidecarOutcome, SidecarStore, file_sha256
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.store.paths import DataRoot
from media_pipeline.subtitles.sidecar_names import (
    covering_subtitles,
    decide_write,
    parse_formats,
    sidecar_name,
    target_folder,
)


@dataclass(frozen=True)
class SidecarJob:
    """What one media's sidecars say and where they may go."""

    key: str
    language: str
    contents: dict[str, bytes]
    """The bytes of each chosen format (from the ``subtitles`` artifact)."""
    output_dir: Path | None
    overwrite: bool
    skip_existing: bool


def sidecar_language(transcript_language: str | None, task: str = "transcribe") -> str:
    """The language a sidecar is named with: the transcript's, English when translated."""
    if task == "translate":
        return "en"
    return (transcript_language or "").strip().lower() or "und"


def eligible_sources(data: DataRoot, key: str) -> list[Path]:
    """The paths ``key`` was seen at that still hold it: existing files of the stored
    media's size, outside the data root's media store (API uploads live there)."""
    stored = data.media_file(key)
    size = stored.stat().st_size if stored is not None else None
    out = []
    for _, raw in data.library().names(key):
        path = Path(raw)
        try:
            if path.is_relative_to(data.media_dir) or not path.is_file():
                continue
            if size is not None and path.stat().st_size != size:
                continue  # the path now holds other content: its own key writes there
        except OSError:
            continue
        out.append(path)
    return out


def sidecars_current(data: DataRoot, settings: PipelineSettings, key: str,
                     fingerprints: dict[str, str]) -> bool:
    """True when the sidecars of ``key`` need no run (off, or as the last run left them)."""
    if not settings.write_beside:
        return True
    sources = [str(p) for p in eligible_sources(data, key)]
    return SidecarStore(data.library()).current(key, fingerprints["sidecars"], sources)


def sidecars_step(data: DataRoot, settings: PipelineSettings, key: str,
                  fingerprints: dict[str, str], out_dir: Path) -> StepResult:
    """Write (or leave) the sidecars of every source of ``key``; a summary of what happened."""
    if not settings.write_beside:
        return {}, {"write_beside": False}
    store = data.artifacts
    formats = parse_formats(settings.sidecar_formats)
    heard = store.info(key, "transcript", fingerprints["transcript"])
    task = str(getattr(settings, "task", "transcribe"))  # the task setting may not exist yet
    job = SidecarJob(
        key, sidecar_language(heard.get("language"), task),
        {fmt: store.find(key, "subtitles", fingerprints["subtitles"], fmt).read_bytes()
         for fmt in formats},
        Path(settings.output_dir).expanduser().resolve() if settings.output_dir else None,
        settings.overwrite, settings.skip_existing)
    sidecars = SidecarStore(data.library())
    sources = eligible_sources(data, key)
    roots = source_roots(data, sidecars, sources)
    outcomes: list[SidecarOutcome] = []
    for source in sources:
        outcomes += write_for_source(sidecars, job, source, roots[source])
    sidecars.save_outcomes(key, fingerprints["sidecars"], outcomes)
    listing = [o.__dict__ for o in outcomes]
    write_json_atomic(out_dir / "sidecars.json", {"language": job.language, "outcomes": listing})
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return {"sidecars": "sidecars.json"}, {
        "language": job.language, "formats": list(formats), **counts,
        "sidecars": [o.path for o in outcomes if o.ours],
        "notes": [o.note for o in outcomes if o.note]}


def source_roots(data: DataRoot, sidecars: SidecarStore, sources: list[Path],
                 ) -> dict[Path, Path | None]:
    """The folder each source was found under (``output_dir`` mirrors the tree below it); no
    root recorded (an API path job): the default library root when the file lies in it."""
    recorded = sidecars.roots([str(s) for s in sources])
    return {s: Path(recorded[str(s)]) if str(s) in recorded else (
        data.default_library_root if s.is_relative_to(data.default_library_root) else None)
        for s in sources}


def already_subtitled(data: DataRoot, settings: PipelineSettings, key: str,
                      language: str) -> bool:
    """True when every source of ``key`` already has a subtitle in ``language`` that is not
    ours: ``skip_existing`` then leaves the media alone before any work."""
    sources = eligible_sources(data, key)
    if not sources:
        return False
    sidecars = SidecarStore(data.library())
    output_dir = Path(settings.output_dir).expanduser().resolve() if settings.output_dir else None
    job = SidecarJob(key, language, {}, output_dir, settings.overwrite, True)
    roots = source_roots(data, sidecars, sources)
    return all(existing_subtitle(sidecars, job, s, target_folder(s, roots[s], output_dir))
               is not None for s in sources)


def write_for_source(sidecars: SidecarStore, job: SidecarJob, source: Path,
                     root: Path | None) -> list[SidecarOutcome]:
    """The sidecars of one source path: skipped, or each format written or left alone."""
    folder = target_folder(source, root, job.output_dir)
    if job.skip_existing:
        covering = existing_subtitle(sidecars, job, source, folder)
        if covering is not None:
            return [SidecarOutcome(str(source), str(covering), "skipped",
                                   f"skipped {source.name}: {covering} already gives it a "
                                   f"{job.language} subtitle", file_sha256(covering))]
    targets = {fmt: folder / sidecar_name(source.name, job.language, fmt) for fmt in job.contents}
    written = sidecars.written([str(t) for t in targets.values()])
    out = []
    for fmt, target in targets.items():
        data = job.contents[fmt]
        new_sha = hashlib.sha256(data).hexdigest()
        on_disk = file_sha256(target) if target.is_file() else (
            "not a file" if os.path.lexists(target) else None)
        decision = decide_write(on_disk, new_sha, written.get(str(target)), job.overwrite)
        outcome, note, state = decision.outcome, None, on_disk
        if decision.write:
            try:
                write_bytes_atomic(target, data)
                sidecars.record_written(job.key, str(target), new_sha)
                state = new_sha
            except OSError as exc:
                outcome, note = "failed", f"could not write {target}: {exc.strerror or exc}"
                state = file_sha256(target)
        elif outcome == "kept":
            note = (f"left alone: {target} was not written by media-pipeline "
                    "(--overwrite replaces it)")
        out.append(SidecarOutcome(str(source), str(target), outcome, note, state))
    return out


def existing_subtitle(sidecars: SidecarStore, job: SidecarJob, source: Path,
                      folder: Path) -> Path | None:
    """A subtitle in the job's language that the media already has (not one of ours)."""
    candidates: list[Path] = []
    for where in dict.fromkeys((source.parent, folder)):
        try:
            names = [e.name for e in os.scandir(where) if e.is_file()]
        except OSError:
            continue
        candidates += [where / n for n in covering_subtitles(names, source.name, job.language)]
    ours = sidecars.written([str(c) for c in candidates])
    for candidate in candidates:
        if ours.get(str(candidate)) != file_sha256(candidate):
            return candidate
    return None
