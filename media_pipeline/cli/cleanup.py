"""``media-pipeline cleanup``: show the changes cleanup made to a file's transcript, revert
some of them (their original words come back), or restore them.

A revert is stored in the library and applied by every later run of that media (the cues'
fingerprint includes it); ``revert`` and ``restore`` re-run the media at once unless
``--no-apply`` is given, so the subtitle files change before the command returns.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from media_pipeline.batch import process_paths
from media_pipeline.cli.options import (
    add_data_dir_option,
    add_setting_options,
    existing_library,
    fail,
    runtime_from_args,
    settings_from_args,
)
from media_pipeline.errors import MediaPipelineError
from media_pipeline.library.cleanup_reverts import CleanupRevertStore
from media_pipeline.library.cleanup_review import (
    CHANGE_KINDS,
    change_rows,
    choose_ids,
    latest_cues_dir,
)
from media_pipeline.settings import RuntimeSettings
from media_pipeline.store.intake import media_key_of_file
from media_pipeline.store.paths import DataRoot


def add_cleanup_parser(sub: Any) -> None:
    """Register the ``cleanup`` subcommand on an argparse subparsers object."""


    c = sub.add_parser("cleanup", help="show, revert or restore the cleanup of a transcript")
    actions = c.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="the changes of the media's latest run")
    ls.add_argument("media", help="a media key, or the path of a processed file")
    ls.add_argument("--json", action="store_true", help="one JSON object per change")
    for name, verb in (("revert", "undo"), ("restore", "apply again")):
        a = actions.add_parser(name, help=f"{verb} changes by id (see 'cleanup list')")
        a.add_argument("media", help="a media key, or the path of a processed file")
        a.add_argument("ids", nargs="*", help="change ids")
        a.add_argument("--all", action="store_true", help=f"{verb} every change")
        a.add_argument("--kind", default=None, choices=CHANGE_KINDS,
                       help="with --all: only this kind")
        a.add_argument("--no-apply", action="store_true",
                       help="only record it; the next process or reprocess run applies it")
        add_setting_options(a)
    add_data_dir_option(c, *actions.choices.values())
    c.set_defaults(func=cmd_cleanup)


def media_key_for(target: str, runtime: RuntimeSettings) -> str:
    """``target`` as a media key: a key known to the library, or a file's content hash."""
    library = existing_library(runtime)
    path = Path(target)
    if path.is_file():
        return media_key_of_file(path)
    if library.get(target) is not None:
        return target
    raise MediaPipelineError(f"{target!r} is neither a file nor a media key in "
                             f"{DataRoot.of(runtime).library_path}")


def cmd_cleanup(args: argparse.Namespace) -> int:
    runtime = runtime_from_args(args)
    data = DataRoot.of(runtime)
    key = media_key_for(args.media, runtime)
    store = CleanupRevertStore(data.library())
    rows = change_rows(latest_cues_dir(data.artifacts_dir, key) / "cleanup.json", store.ids(key))
    if args.action == "list":
        _print_rows(rows, key, args.json)
        return 0
    ids = choose_ids(rows, args.ids, args.all, args.kind)
    if args.action == "revert":
        count = store.add(key, ids)
        print(f"{count} change(s) of {key} will be reverted")
    else:
        count = store.remove(key, ids)
        print(f"{count} change(s) of {key} will be applied again")
    if args.no_apply or not count:
        if count:
            print("run 'media-pipeline process FILE' or 'reprocess --stale' to apply")
        return 0
    return rerun_media(args, runtime, key)


def rerun_media(args: argparse.Namespace, runtime: RuntimeSettings, key: str) -> int:
    """Re-run the media so the change reaches its subtitle files."""
    data = DataRoot.of(runtime)
    seen = [Path(p) for _, p in data.library().names(key)]
    source = next((p for p in seen if p.is_file()), None) or data.media_file(key)
    if source is None:
        return fail(f"no copy of media {key} is left to re-run")
    [result] = process_paths([source], runtime, settings_from_args(args))
    if result.status != "completed":
        print(f"error: {result.error}", file=sys.stderr)
        return 1
    print(f"subtitles updated: {result.outputs.get('srt', '')}")
    return 0


def _print_rows(rows: list[dict[str, Any]], key: str, as_json: bool) -> None:
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    for r in rows:
        detail = f"  ({r['detail']})" if r.get("detail") else ""
        print(f"{r['id']}  {int(r['start_ms']) / 1000:8.2f}s  {r['kind']:<13} "
              f"{r['before']!r} -> {r['after']!r}{detail}  [{r['state']}]")
    print(f"{len(rows)} cleanup change(s) for {key}")
