"""What every command shares: ``--data-dir``, the setting options, progress, the library."""

import argparse
import sys
from dataclasses import replace
from typing import Any

from media_pipeline.errors import MediaPipelineError
from media_pipeline.library.db import Library
from media_pipeline.settings import (
    PipelineSettings,
    RuntimeSettings,
    pipeline_settings_from_env,
    runtime_settings_from_env,
    setting_specs,
)
from media_pipeline.store.paths import DataRoot

DATA_DIR_HELP = "data root (default: $MEDIA_PIPELINE_DATA_DIR, else ./data)"
_METAVARS = {str: "TEXT", int: "INT", float: "NUMBER"}


def add_data_dir_option(parser: argparse.ArgumentParser, *actions: argparse.ArgumentParser,
                        ) -> None:
    """``--data-dir`` on a command and on each of its actions, so it may come anywhere."""
    parser.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    for action in actions:  # SUPPRESS: an action without it keeps the command's value
        action.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def add_setting_options(parser: argparse.ArgumentParser) -> None:
    """One ``--<setting>`` option per pipeline setting (``--x/--no-x`` for a yes/no one), in
    the group "pipeline settings"; an option not given leaves the environment's value."""
    group = parser.add_argument_group(
        "pipeline settings", "each overrides its MEDIA_PIPELINE_<NAME> variable for this run")
    for spec in setting_specs():
        flag = f"--{spec.name.replace('_', '-')}"
        text = f"{spec.description} (default: {spec.default!r})".replace("%", "%%")
        if spec.type is bool:
            group.add_argument(flag, dest=spec.name, action=argparse.BooleanOptionalAction,
                               default=None, help=text)
        else:
            group.add_argument(flag, dest=spec.name, type=spec.type, default=None,
                               metavar=_METAVARS.get(spec.type), help=text)


def settings_from_args(args: argparse.Namespace) -> PipelineSettings:
    """The environment's pipeline settings with the command line's options applied."""
    changes = {s.name: getattr(args, s.name) for s in setting_specs()
               if getattr(args, s.name, None) is not None}
    return replace(pipeline_settings_from_env(), **changes)


def runtime_from_args(args: argparse.Namespace) -> RuntimeSettings:
    """Runtime settings for the command's ``--data-dir`` (and ``--batch-size`` if it has one)."""
    runtime = runtime_settings_from_env(args.data_dir)
    if getattr(args, "batch_size", 0):
        runtime = replace(runtime, max_partitions_per_run=args.batch_size)
    return runtime


def existing_library(runtime: RuntimeSettings) -> Library:
    """The library of a data root that has one; reading commands never create it."""
    data = DataRoot.of(runtime)
    if not data.library_path.exists():
        raise MediaPipelineError(f"no library at {data.library_path} yet: run "
                                 "'media-pipeline process FILES' first (or check --data-dir)")
    return data.library()


def fail(message: str) -> int:
    """Print a one-line error on stderr; the exit code for a usage or input error."""
    print(f"error: {message}", file=sys.stderr)
    return 2


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
