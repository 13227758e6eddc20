"""``media-pipeline process`` and ``status``: subtitle files and folders; list the library."""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from media_pipeline.batch import Batch, FileResult, process_files
from media_pipeline.cli.options import (
    DATA_DIR_HELP,
    FileProgress,
    add_setting_options,
    existing_library,
    fail,
    runtime_from_args,
    settings_from_args,
)
from media_pipeline.library.db import Library
from media_pipeline.library.sidecars import SidecarStore
from media_pipeline.settings import RuntimeSettings
from media_pipeline.stages.refining import profile_for
from media_pipeline.store.intake import list_media_files
from media_pipeline.store.paths import DataRoot
from media_pipeline.subtitles.sidecar_names import parse_formats


def add_process_parsers(sub: Any) -> None:
    """Register ``process`` and ``status``."""
    p = sub.add_parser("process", help="make subtitles for files or folders")
    p.add_argument("paths", nargs="+", help="media files or folders (searched recursively)")
    p.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    p.add_argument("--json", action="store_true", help="one JSON object per input on stdout")
    p.add_argument("--batch-size", type=int, default=0, help="partitions per run (default 64)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--lyrics", default=None, metavar="LYRICS.txt",
                   help="lyrics of the one media file given: one sung line a line, blank lines "
                        "between verses (a <name>.lyrics.txt beside the media works too)")
    p.add_argument("--retry", action="store_true",
                   help="also run files given up on after their runs died twice")
    add_setting_options(p)
    p.set_defaults(func=cmd_process)
    s = sub.add_parser("status", help="list the library")
    s.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)


def cmd_process(args: argparse.Namespace) -> int:
    runtime = runtime_from_args(args)
    settings = settings_from_args(args)
    profile_for(settings)  # an unknown profile is a usage error, before any work
    if settings.write_beside:
        parse_formats(settings.sidecar_formats)  # likewise an unknown sidecar format
    if settings.output_dir:  # relative to where the command was typed, whoever runs it
        settings = replace(settings, output_dir=str(Path(settings.output_dir).resolve()))
    found = {p: list_media_files([Path(p)]) for p in args.paths}  # the one walk of the tree
    files = [f for fs in found.values() for f in fs]
    if not files:
        return fail(f"no audio or video files under {', '.join(args.paths)}")
    library = DataRoot.of(runtime).library()
    SidecarStore(library).record_roots(source_roots(found))
    for path in (p for p, fs in found.items() if not fs):
        print(f"note: no audio or video files under {path}", file=sys.stderr)
    bar = FileProgress("subtitles", args.no_progress)
    bar.set_total(len(files))
    try:  # lyrics (--lyrics, <name>.lyrics.txt) are stored first; see batch.py
        results = process_files(
            files, Batch(runtime, on_stage=bar.on_stage, retry_given_up=args.retry), settings,
            Path(args.lyrics) if args.lyrics else None, model_chosen=args.model is not None,
            notify=lambda m: print(f"note: {m}", file=sys.stderr))
    except BaseException:
        bar.close()
        raise
    bar.close(finished=True)
    if settings.write_beside:
        add_sidecars(results, library)
    failed = [r for r in results if r.status == "failed"]
    skipped = sum(r.status == "skipped" for r in results)
    if args.json:
        for r in results:
            print(json.dumps(r.to_json(), ensure_ascii=False))
        return 1 if failed else 0
    for r in results:
        where = (r.sidecars[0] if r.sidecars else r.outputs.get("srt", "")
                 ) if r.status == "completed" else r.error
        print(f"{r.status:<9} {r.key or '-':<16} {printable(Path(r.source).name)}  {where}")
    print(f"{len(results) - len(failed) - skipped} completed, {len(failed)} failed"
          + (f", {skipped} skipped" if skipped else "") + "; "
          f"data in {runtime.data_dir}")
    return 1 if failed else 0


def source_roots(found: dict[str, list[Path]]) -> dict[str, str]:
    """The folder each file was found under (a file named directly: its own folder), by
    resolved path: ``--output-dir`` mirrors the tree below it."""
    roots = {}
    for given, files in found.items():
        try:
            top = Path(given).resolve()
        except (OSError, RuntimeError):  # a symlink loop: the file fails alone later
            continue
        for f in files:
            try:
                path = f.resolve()
            except (OSError, RuntimeError):
                continue
            roots[str(path)] = str(top if top.is_dir() else path.parent)
    return roots


def add_sidecars(results: list[FileResult], library: Library) -> None:
    """Each result's sidecar files; a note on stderr for each file left alone or skipped."""
    store = SidecarStore(library)
    for r in results:
        if r.key is None or r.status != "completed":
            continue
        source = str(Path(r.source).resolve())
        _, outcomes = store.outcomes(r.key)
        mine = [o for o in outcomes if o.source == source]
        r.sidecars = [o.path for o in mine if o.ours]
        for o in mine:
            if o.note:
                print(f"note: {printable(o.note)}", file=sys.stderr)


def printable(name: str) -> str:
    """A file name on one terminal line: quoted and escaped if it holds control characters."""
    return name if name.isprintable() else ascii(name)


def _waiting(runtime: RuntimeSettings, ages: dict[str, float]) -> dict[str, str]:
    """Why each pending file waits, from the runs in the instance (when there is one)."""
    from media_pipeline.automation.repair import waiting_reasons
    from media_pipeline.jobs.instance import open_instance

    home = DataRoot.of(runtime).dagster_home
    if not (home / "dagster.yaml").exists():
        return {}
    return waiting_reasons(open_instance(home, runtime), ages)


def cmd_status(args: argparse.Namespace) -> int:
    runtime = runtime_from_args(args)
    library = existing_library(runtime)
    rows = library.rows()
    waiting = _waiting(runtime, library.pending_ages()) if any(
        r.status == "pending" for r in rows) else {}
    if args.json:
        for row in rows:
            out: dict[str, Any] = dict(row.__dict__)
            out["names"] = [n for n, _ in library.names(row.key)]
            out["waiting"] = waiting.get(row.key)
            print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    for row in rows:
        names = ", ".join(n for n, _ in library.names(row.key))
        dur = f"{row.duration_s:.1f}s" if row.duration_s else "-"
        why = row.error or waiting.get(row.key)
        print(f"{row.status:<9} {row.key}  {dur:>8}  {row.language or '-':<3} {names}"
              + (f"  ({why})" if why else ""))
    print(f"{len(rows)} media in {DataRoot.of(runtime).library_path}")
    return 0
