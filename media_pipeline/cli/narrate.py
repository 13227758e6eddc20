"""``media-pipeline narrate``: text to a narrated MP3 with word timings and subtitles.

Runs in this process against the data root's Dagster instance (like ``process``) and prints
``{"key", "status", "error", "outputs": {"mp3", "timings", "srt", "vtt"}}`` with ``--json``.
"""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from media_pipeline.cli.options import DATA_DIR_HELP, fail, runtime_from_args
from media_pipeline.errors import MediaPipelineError
from media_pipeline.settings import narration_settings_from_env
from media_pipeline.store.narration import add_progress_listener, remove_progress_listener


def add_narrate_parser(sub: Any) -> None:
    """Add the ``narrate`` subcommand to the ``media-pipeline`` parser."""
    n = sub.add_parser("narrate", help="narrate a text file (MP3 + word timings + SRT/VTT)")
    n.add_argument("--text-file", required=True, help="UTF-8 text to narrate ('-' for stdin)")
    n.add_argument("--voice", default=None, help="voice id (default: the provider's first)")
    n.add_argument("--speed", type=float, default=None, help="speaking rate, 1.0 is normal")
    n.add_argument("--provider", default=None, help="TTS provider (default: piper)")
    n.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    n.add_argument("--json", action="store_true", help="one JSON object on stdout")
    n.add_argument("--no-check", action="store_true",
                   help="skip the round-trip transcription check")
    n.add_argument("--no-progress", action="store_true", help="no progress bar")
    n.set_defaults(func=cmd_narrate)


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8")


def _print(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
        return
    where = out["outputs"].get("mp3", "") if out["status"] == "completed" else out["error"]
    print(f"{out['status']:<9} {out['key'] or '-':<16} {where}")


def cmd_narrate(args: argparse.Namespace) -> int:
    settings = narration_settings_from_env()
    if args.no_check:
        settings = replace(settings, round_trip_check=False)
    try:
        text = _read_text(args.text_file)
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {args.text_file}: {exc.__class__.__name__}")
    from media_pipeline.jobs.narration_service import NarrationService  # Dagster: lazily

    service = NarrationService(runtime_from_args(args), settings)
    bar = tqdm(total=0, unit="chunk", desc="narration", disable=args.no_progress or None,
               file=sys.stderr, dynamic_ncols=True)

    def on_progress(key: str, done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    add_progress_listener(on_progress)
    try:
        job = service.narrate(text, args.voice, args.speed, args.provider)
    except MediaPipelineError as exc:
        _print({"key": None, "status": "failed", "error": exc.user_message, "outputs": {}},
               args.json)
        return 2
    finally:
        remove_progress_listener(on_progress)
        bar.close()
    out = job.to_json()
    _print({"key": job.id, "status": out["status"], "error": out["error"],
            "outputs": out["outputs"], "duration_ms": _duration(service, job.id),
            "round_trip": out["round_trip"]}, args.json)
    return 0 if job.status == "completed" else 1


def _duration(service: Any, key: str) -> int | None:
    document = service.store.read_json(key, "timings.json")
    return int(document["duration_ms"]) if document else None
