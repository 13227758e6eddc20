"""``media-pipeline dictionary``: list, add and remove user dictionary entries.

Entries apply to the whole library, or with ``--media KEY`` to one media file; they are
applied by the cleanup step of the next ``process`` run (the cues' fingerprint includes them).
"""

import argparse
import json
from typing import Any

from media_pipeline.cli.options import add_data_dir_option, runtime_from_args
from media_pipeline.library.dictionary import DictionaryStore
from media_pipeline.store.paths import DataRoot
from media_pipeline.text.dictionary import LIBRARY_SCOPE, DictionaryEntry


def add_dictionary_parser(sub: Any) -> None:
    """Register the ``dictionary`` subcommand on an argparse subparsers object."""
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
    data = DataRoot.of(runtime_from_args(args))
    store = DictionaryStore(data.library())
    scope = args.media or LIBRARY_SCOPE
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
    entries = (store.for_media(args.media) if args.media and args.effective
               else store.entries(args.media))
    if args.json:
        for e in entries:
            print(json.dumps(e.to_dict(), ensure_ascii=False))
        return 0
    for e in entries:
        flags = ",".join(f for f, on in (("exact", e.mode == "exact"),
                                         ("case", e.case_sensitive)) if on)
        print(f"{e.scope:<16} {e.find!r} -> {e.replace!r}" + (f"  [{flags}]" if flags else ""))
    print(f"{len(entries)} entries in {data.library_path}")
    return 0
