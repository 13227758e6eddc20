"""`media-pipeline serve` and `media-pipeline reprocess` (added to the main parser)."""

import argparse
import json
import os
import sys
from typing import Any

from media_pipeline.batch import Batch, reprocess_stale
from media_pipeline.cli.options import (
    DATA_DIR_HELP,
    FileProgress,
    add_setting_options,
    runtime_from_args,
    settings_from_args,
)
from media_pipeline.settings import pipeline_settings_from_env


def add_serve_parsers(sub: Any) -> None:
    """Register ``serve`` and ``reprocess``."""
    s = sub.add_parser("serve", help="run the HTTP API with the Dagster daemon, webserver "
                                     "and code server it needs")
    s.add_argument("--host", default="127.0.0.1", help="interface for the API (default loopback)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--ui-port", type=int, default=None,
                   help="port of the Dagster UI on 127.0.0.1 (default: a free one)")
    s.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    s.set_defaults(func=cmd_serve)
    r = sub.add_parser("reprocess", help="re-run partitions made with older code, models or "
                                         "settings, in bounded batches")
    r.add_argument("--stale", action="store_true", required=True,
                   help="select the stale library entries (required)")
    r.add_argument("--limit", type=int, default=0, help="at most this many partitions")
    r.add_argument("--dry-run", action="store_true", help="list them, run nothing")
    r.add_argument("--batch-size", type=int, default=0, help="partitions per run (default 64)")
    r.add_argument("--json", action="store_true", help="a JSON summary on stdout")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    add_setting_options(r)
    r.set_defaults(func=cmd_reprocess)


def cmd_serve(args: argparse.Namespace) -> int:
    runtime = runtime_from_args(args)
    try:
        from media_pipeline.api.server import serve  # the API and Dagster: only to serve

        code = serve(runtime, pipeline_settings_from_env(), args.host, args.port, args.ui_port)
    except SystemExit as exc:  # SIGTERM, once serve() has stopped everything it started
        code = exc.code if isinstance(exc.code, int) else 0
    # Every process serve() started is stopped and its files are closed: leave without the
    # interpreter's teardown, which takes seconds for the libraries the server loaded (and a
    # supervisor that sent SIGTERM counts them against the stop).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def cmd_reprocess(args: argparse.Namespace) -> int:
    bar = FileProgress("reprocessing", args.no_progress or args.dry_run)
    try:
        result = reprocess_stale(Batch(runtime_from_args(args), on_stage=bar.on_stage),
                                 settings_from_args(args), limit=args.limit or None,
                                 dry_run=args.dry_run, on_selected=bar.set_total)
    finally:
        bar.close()
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        verb = "would reprocess" if args.dry_run else "reprocessed"
        print(f"{result.stale} stale; {verb} {len(result.selected)} in {result.runs} run(s): "
              f"{len(result.completed)} completed, {len(result.failed)} failed")
        for key in result.failed:
            print(f"failed    {key}")
    return 1 if result.failed else 0
