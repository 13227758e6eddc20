"""``media-pipeline``: subtitle files and folders, show the library, edit the dictionary,
review and revert cleanup changes, search the subtitles, narrate text, serve the API,
reprocess stale media (benchmarks: ``make bench``)."""

import argparse
import gc
import logging
import sys
import warnings
from typing import NoReturn

from media_pipeline.cli.cleanup import add_cleanup_parser
from media_pipeline.cli.dictionary import add_dictionary_parser
from media_pipeline.cli.narrate import add_narrate_parser
from media_pipeline.cli.options import fail
from media_pipeline.cli.process import add_process_parsers
from media_pipeline.cli.search import add_search_parser
from media_pipeline.cli.serve import add_serve_parsers
from media_pipeline.cli.speakers import add_speakers_parser
from media_pipeline.cli.worker import add_worker_parser
from media_pipeline.errors import MediaPipelineError


def _quiet_libraries() -> None:
    warnings.filterwarnings("ignore")
    for name in ("dagster", "faster_whisper", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="media-pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_process_parsers, add_dictionary_parser, add_cleanup_parser,
                add_search_parser, add_narrate_parser, add_serve_parsers, add_speakers_parser,
                add_worker_parser):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a MediaPipelineError becomes a one-line error and exit code 2."""
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except MediaPipelineError as exc:
        return fail(exc.user_message)
    return code


def run() -> NoReturn:
    """The ``media-pipeline`` command: :func:`main`, then exit without the interpreter's last
    garbage collection, which after a run over the default set took 1.1 s of its 20 s: the
    run leaves Dagster's and the models' objects behind (every cycle among them was walked on
    the way out). Frozen, they are freed as the process ends; output is flushed first."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()
    raise SystemExit(code)


if __name__ == "__main__":
    run()
