"""``media-pipeline search TEXT``: where in the library those words are said."""

import argparse
import json
import sys
from typing import Any

from media_pipeline.cli.options import add_data_dir_option, existing_library, runtime_from_args
from media_pipeline.library.search import search_library


def add_search_parser(sub: Any) -> None:
    """Register the ``search`` subcommand on an argparse subparsers object."""
    s = sub.add_parser("search", help="find where words are said in the library's subtitles")
    s.add_argument("text", nargs="+", help="words to find (case and line breaks ignored)")
    s.add_argument("--limit", type=int, default=50, help="at most this many hits (default 50)")
    s.add_argument("--speaker", default=None,
                   help="only cues said by this speaker (label or given name)")
    s.add_argument("--json", action="store_true", help="one JSON object per hit")
    add_data_dir_option(s)
    s.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    hits = search_library(existing_library(runtime_from_args(args)), " ".join(args.text),
                          max(1, args.limit), args.speaker)
    if args.json:
        for hit in hits:
            print(json.dumps(hit.to_json(), ensure_ascii=False))
    else:
        for hit in hits:
            minutes, ms = divmod(hit.start_ms, 60_000)
            who = f"{hit.speaker}: " if hit.speaker else ""
            print(f"{hit.name}  {minutes:02d}:{ms / 1000:05.2f}  {who}{hit.text}  ({hit.key})")
        print(f"{len(hits)} hit(s)", file=sys.stderr)
    return 0 if hits else 1
