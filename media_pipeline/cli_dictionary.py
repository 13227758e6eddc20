"""``media-pipeline dictionary``: list, add and remove user dictionary entries.

Entries apply to the whole library, or with ``--media KEY`` to one media file; they are
applied by the cleanup step of the next ``process`` run (the cues' fingerprint includes them).
"""

import argparse
import json
import sys
from typing import Any

from media_pipeline.settings import runtime_settings_from_env


def add_dictionary_parser(sub: Any) -> None:
    """Register the ``dictionary`` subcommand on an argparse subparsers object."""
    from media_pipeline.cli import add_data_dir_option

    d = sub.add_parser("dictionary", help="user dictionary: replacements applied by cleanup")
    actions = d.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="list entries")
    ls.add_argument("--media", default=None, help="only this media key's entries "
                    "(with --effective: what applies to it)")
    ls.add_argument("--effective", action="store_true",
                    help="with --media: library entries merged with the media's own")
    ls.add_argument("--json", action="store_true")
    add = actions.add_parser("add", help="add or replace an entry")
    add.add_argument("find", help="text to look for")
    add.add_argument("replace", help="replacement (may be empty to delete the text)")
    add.add_argument("--media", default=None, help="apply to this media key only")
    add.add_argument("--exact", action="store_true",
                     help="replace any occurrence, not only whole words")
    add.add_argument("--case-sensitive", action="store_true")
    rm = actions.add_parser("remove", help="remove an entry")
    rm.add_argument("find")
    rm.add_argument("--media", default=None)
    add_data_dir_option(d, ls, add, rm)
    d.set_defaults(func=cmd_dictionary)


def cmd_dictionary(args: argparse.Namespace) -> int:
    from media_pipeline.errors import MediaPipelineError
    from media_pipeline.library.db import Library
    from media_pipeline.library.dictionary import DictionaryStore
    from media_pipeline.text.dictionary import LIBRARY_SCOPE, DictionaryEntry

    runtime = runtime_settings_from_env(args.data_dir)
    store = DictionaryStore(Library(runtime.library_path, runtime.library_lock_timeout_s))
    scope = args.media or LIBRARY_SCOPE
    try:
        if args.action == "add":
            store.add(DictionaryEntry(find=args.find, replace=args.replace,
                                      mode="exact" if args.exact else "word",
                                      case_sensitive=args.case_sensitive, scope=scope))
            print(f"added to {scope}: {args.find!r} -> {args.replace!r}")
            return 0
        if args.action == "remove":
            removed = store.remove(args.find, scope)
            print(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from {scope}")
            return 0 if removed else 1
        if args.media and args.effective:
            entries = store.for_media(args.media)
        else:
            entries = store.entries(args.media)
    except MediaPipelineError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    if args.json:
        for e in entries:
            print(json.dumps(e.to_dict(), ensure_ascii=False))
        return 0
    for e in entries:
        flags = ",".join(f for f, on in (("exact", e.mode == "exact"),
                                         ("case", e.case_sensitive)) if on)
        print(f"{e.scope:<16} {e.find!r} -> {e.replace!r}" + (f"  [{flags}]" if flags else ""))
    print(f"{len(entries)} entries in {runtime.library_path}")
    return 0
