"""Bulk: the same corpus clips through the inbox sensor (daemon) and through ``process``.

Sensor path: the clips are dropped in a fresh data root's inbox, then the Dagster code
server and daemon start (as ``media-pipeline serve`` starts them); the inbox sensor adds the
partitions and requests runs of up to 64 partitions, which the daemon launches, each in its
own process with one model load. Timed from the daemon's start until every clip is in the
library. ``process`` path: ``media-pipeline process DIR`` in a fresh data root, timed from
the command's start to its exit. Both include their start-up, as a user would see it.

    python -m benchmarks.bulk                 # 10 clips
    python -m benchmarks.bulk --clips 50      # the issue's 50 clips

Writes benchmarks/results/bulk.json: wall time per file for each path, and their ratio.
"""

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dagster import DagsterRunStatus

from benchmarks.common import CORPUS, write_result

NOT_ENGLISH_SPEECH = re.compile(
    r"-(de|es|fr|pt)-|test_(de|es|fr|it|ja|ko|pt)|pyloudnorm|webrtcvad|aeneas/vad|empty|"
    r"lyrics|multilingual|\.raw$")


def english_clips(limit: int, max_seconds: float = 60.0) -> list[Path]:
    """Up to ``limit`` English speech clips of the corpus, shortest first."""
    rows = []
    with (CORPUS / "manifest.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            name, seconds = row["file"], float(row["duration_s"] or 0)
            if not NOT_ENGLISH_SPEECH.search(name) and 1.0 <= seconds <= max_seconds:
                rows.append((seconds, name))
    return [CORPUS / name for _, name in sorted(rows)[:limit]]


def copy_clips(clips: list[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for i, clip in enumerate(clips):
        shutil.copyfile(clip, target / f"{i:03d}-{clip.name}")


def sensor_path(clips: list[Path], root: Path) -> dict[str, Any]:
    from media_pipeline.jobs.instance import open_instance
    from media_pipeline.jobs.processes import DagsterProcesses
    from media_pipeline.library.db import Library
    from media_pipeline.settings import runtime_settings_from_env
    from media_pipeline.store.paths import DataRoot

    runtime = runtime_settings_from_env(root / "data", env={})
    copy_clips(clips, DataRoot.of(runtime).inbox)
    library = Library(DataRoot.of(runtime).library_path)
    started = time.perf_counter()
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    with DagsterProcesses(runtime):
        deadline = started + 60 * 60
        done: list[Any] = []
        while time.perf_counter() < deadline:
            done = [r for r in library.rows() if r.status in ("completed", "failed")] \
                if DataRoot.of(runtime).library_path.exists() else []
            runs = instance.get_run_records()
            if len(done) >= len(clips) and runs and all(r.dagster_run.is_finished
                                                        for r in runs):
                break
            time.sleep(1.0)
        seconds = time.perf_counter() - started
    runs = [r for r in instance.get_run_records() if r.start_time and r.end_time]
    return {"seconds": round(seconds, 2), "per_file_s": round(seconds / len(clips), 3),
            "completed": sum(r.status == "completed" for r in done),
            "runs": len(runs),
            "failed_runs": sum(r.dagster_run.status == DagsterRunStatus.FAILURE for r in runs),
            "run_seconds": round(sum(r.end_time - r.start_time for r in runs  # type: ignore[operator]
                                     ), 2)}


def process_path(clips: list[Path], root: Path) -> dict[str, Any]:
    inputs = root / "clips"
    copy_clips(clips, inputs)
    exe = Path(sys.executable).with_name("media-pipeline")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIA_PIPELINE_")}
    started = time.perf_counter()
    out = subprocess.run([str(exe), "process", str(inputs), "--data-dir", str(root / "data"),
                          "--json", "--no-progress"], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    completed = out.stdout.count('"status": "completed"')
    from media_pipeline.jobs.instance import open_instance
    from media_pipeline.settings import runtime_settings_from_env
    from media_pipeline.store.paths import DataRoot

    runtime = runtime_settings_from_env(root / "data", env={})
    runs = open_instance(DataRoot.of(runtime).dagster_home, runtime).get_run_records()
    return {"seconds": round(seconds, 2), "per_file_s": round(seconds / len(clips), 3),
            "completed": completed, "exit_code": out.returncode, "runs": len(runs),
            "failed_runs": sum(r.dagster_run.status == DagsterRunStatus.FAILURE for r in runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=10, help="number of clips (default 10)")
    args = parser.parse_args(argv)
    clips = english_clips(args.clips)
    if len(clips) < args.clips:
        print(f"the corpus has only {len(clips)} suitable clips", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bulk-") as tmp:
        sensor = sensor_path(clips, Path(tmp) / "sensor")
        process = process_path(clips, Path(tmp) / "process")
    result = {
        "clips": len(clips), "files": [str(c.relative_to(CORPUS)) for c in clips],
        "audio_s": round(sum(_duration(c) for c in clips), 1),
        "sensor": sensor, "process": process,
        "ratio_sensor_over_process": round(sensor["seconds"] / process["seconds"], 3),
        "note": "wall time per file, start-up included; the sensor path includes starting the "
                "code server and daemon and the sensor's first tick, and runs each batch in "
                "its own process (DefaultRunLauncher); process runs in-process",
        "cpu_count": os.cpu_count(),
    }
    path = write_result("bulk", result)
    print(f"{len(clips)} clips: sensor {sensor['per_file_s']} s/file, process "
          f"{process['per_file_s']} s/file -> {path}")
    return 0 if sensor["completed"] == process["completed"] == len(clips) else 1


def _duration(clip: Path) -> float:
    with (CORPUS / "manifest.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if CORPUS / row["file"] == clip:
                return float(row["duration_s"] or 0)
    return 0.0


if __name__ == "__main__":
    raise SystemExit(main())
