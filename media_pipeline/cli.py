"""``media-pipeline``: subtitle files and folders, show the library, edit the dictionary,
review and revert cleanup changes, search the subtitles, narrate text, serve the API,
reprocess stale media (benchmarks: ``make bench``)."""

import argparse
import json
import logging
import sys
import warnings
from dataclasses import fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from media_pipeline.settings import (
    PipelineSettings,
    RuntimeSettings,
    pipeline_settings_from_env,
    runtime_settings_from_env,
)

if TYPE_CHECKING:
    from media_pipeline.library.db import Library

_OPTION_FIELDS = {
    "profile": str, "model": str, "language": str, "beam_size": int,
    "device": str, "compute_type": str, "lufs_target": float,
    "vad_aggressiveness": int, "separation": str, "quote_style": str, "preview_seconds": float,
    "separation_model": str, "beat_snap": str,
}


def add_data_dir_option(parser: argparse.ArgumentParser, *actions: argparse.ArgumentParser,
                        ) -> None:
    """``--data-dir`` on a command and on each of its actions, so it may come anywhere."""
    parser.add_argument("--data-dir", default=None,
                        help="data root (default: $MEDIA_PIPELINE_DATA_DIR, else ./data)")
    for action in actions:  # SUPPRESS: an action without it keeps the command's value
        action.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def _add_setting_options(parser: argparse.ArgumentParser) -> None:
    for name, kind in _OPTION_FIELDS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None,
                            help=f"override the {name} setting for this run")


def _settings_from_args(args: argparse.Namespace) -> PipelineSettings:
    base = pipeline_settings_from_env()
    known = {f.name for f in fields(PipelineSettings)}
    changes = {k: getattr(args, k) for k in _OPTION_FIELDS if k in known
               and getattr(args, k, None) is not None}
    return replace(base, **changes)


def _quiet_libraries() -> None:
    warnings.filterwarnings("ignore")
    for name in ("dagster", "faster_whisper", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.ERROR)


class FileProgress:
    """A progress bar on stderr over files: one step when a file's ``library_entry`` is
    made; the postfix names the stage running. Drawn once the total is known."""

    def __init__(self, desc: str, disabled: bool) -> None:
        self.desc, self.disabled = desc, disabled
        self.bar: Any = None
        self.done: set[str] = set()

    def set_total(self, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="file", desc=self.desc,
                        disable=self.disabled or None, file=sys.stderr, dynamic_ncols=True)

    def on_stage(self, asset: str, key: str) -> None:
        if self.bar is None:
            return
        self.bar.set_postfix_str(f"{asset} {key}", refresh=True)
        if asset == "library_entry" and key not in self.done:
            self.done.add(key)
            self.bar.update(1)

    def close(self, finished: bool = False) -> None:
        if self.bar is None:
            return
        if finished:  # files that were already done count too
            self.bar.update(self.bar.total - self.bar.n)
        self.bar.close()


def cmd_process(args: argparse.Namespace) -> int:
    from media_pipeline.errors import MediaPipelineError

    runtime = runtime_settings_from_env(args.data_dir)
    if args.batch_size:
        runtime = replace(runtime, max_partitions_per_run=args.batch_size)
    try:
        settings = _settings_from_args(args)
        from media_pipeline.text.profiles import get_profile

        get_profile(settings.profile)
    except MediaPipelineError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.paths]
    from media_pipeline.registration import list_media_files

    total = len(list_media_files(paths))
    if total == 0:
        print(f"error: no audio or video files under {', '.join(args.paths)}", file=sys.stderr)
        return 2
    bar = FileProgress("subtitles", args.no_progress)
    bar.set_total(total)
    from media_pipeline.music import process_songs

    try:  # lyrics (--lyrics, <name>.lyrics.txt) are stored first; see music.py
        results = process_songs(paths, runtime, settings, args.lyrics, args.model is not None,
                                bar.on_stage, lambda m: print(f"note: {m}", file=sys.stderr))
    except MediaPipelineError as exc:
        bar.close()
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    bar.close(finished=True)
    failed = [r for r in results if r.status != "completed"]
    if args.json:
        for r in results:
            print(json.dumps(r.to_json(), ensure_ascii=False))
    else:
        for r in results:
            where = r.outputs.get("srt", "") if r.status == "completed" else r.error
            print(f"{r.status:<9} {r.key or '-':<16} {Path(r.source).name}  {where}")
        print(f"{len(results) - len(failed)} completed, {len(failed)} failed; "
              f"data in {runtime.data_dir}")
    return 1 if failed else 0


def existing_library(runtime: RuntimeSettings) -> "Library":
    """The library of a data root that has one; reading commands never create it."""
    from media_pipeline.errors import MediaPipelineError
    from media_pipeline.library.db import Library

    if not runtime.library_path.exists():
        raise MediaPipelineError(f"no library at {runtime.library_path} yet: run "
                                 "'media-pipeline process FILES' first (or check --data-dir)")
    return Library(runtime.library_path, runtime.library_lock_timeout_s)


def cmd_status(args: argparse.Namespace) -> int:
    from media_pipeline.errors import MediaPipelineError

    runtime = runtime_settings_from_env(args.data_dir)
    try:
        library = existing_library(runtime)
    except MediaPipelineError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    rows = library.rows()
    if args.json:
        for row in rows:
            out: dict[str, Any] = dict(row.__dict__)
            out["names"] = [n for n, _ in library.names(row.key)]
            print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    for row in rows:
        names = ", ".join(n for n, _ in library.names(row.key))
        dur = f"{row.duration_s:.1f}s" if row.duration_s else "-"
        print(f"{row.status:<9} {row.key}  {dur:>8}  {row.language or '-':<3} {names}"
              + (f"  ({row.error})" if row.error else ""))
    print(f"{len(rows)} media in {runtime.library_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="media-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("process", help="make subtitles for files or folders")
    p.add_argument("paths", nargs="+", help="media files or folders (searched recursively)")
    p.add_argument("--data-dir", default=None,
                   help="data root (default: $MEDIA_PIPELINE_DATA_DIR, else ./data)")
    p.add_argument("--json", action="store_true", help="one JSON object per input on stdout")
    p.add_argument("--batch-size", type=int, default=0, help="partitions per run (default 64)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--lyrics", default=None, metavar="LYRICS.txt",
                   help="lyrics of the one media file given: one sung line a line, blank lines "
                        "between verses (a <name>.lyrics.txt beside the media works too)")
    _add_setting_options(p)
    p.set_defaults(func=cmd_process)
    s = sub.add_parser("status", help="list the library")
    s.add_argument("--data-dir", default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
    from media_pipeline.cli_dictionary import add_dictionary_parser

    add_dictionary_parser(sub)
    from media_pipeline.cli_cleanup import add_cleanup_parser

    add_cleanup_parser(sub)
    from media_pipeline.cli_search import add_search_parser

    add_search_parser(sub)
    from media_pipeline.narration.cli import add_narrate_parser

    add_narrate_parser(sub)
    from media_pipeline.jobs.cli import add_jobs_parsers

    add_jobs_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
