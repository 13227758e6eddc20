"""Scale-out: the same files with 1 and 2 Celery workers, and the cost of many partitions.

Runs (``runs``): for each worker count, a fresh ``scripts/cluster-up`` deployment on this
machine (PostgreSQL instance, RabbitMQ vhost, N ``media-pipeline worker``, ``serve``); the
same N distinct clips of real speech are dropped into its inbox and timed until the library
says every one completed. Per worker process: steps taken, CPU seconds, peak RSS and model
loads (``logs/workers``); queue wait per step from the instance's events (a step submitted
-> a worker took it).

Partitions (``partitions``): synthetic ``media`` partition keys and no audio, in a fresh
PostgreSQL instance: registering them, one inbox sensor tick (one new clip), launching a
backfill over all of them (Dagster plans its target) and the asset's partition page, both
over the webserver's GraphQL API.

    nice python benchmarks/scale.py                      # 40 files; 10k and 100k partitions
    python benchmarks/scale.py --files 8 --partitions 1000 --out /tmp/scale.json
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import dagster as dg

from benchmarks.common import CORPUS, write_result
from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.cli import cluster
from media_pipeline.cli.worker import read_worker_stats
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.processes import DagsterProcesses
from media_pipeline.settings import (
    ENV_PREFIX,
    POSTGRES_URL_ENV,
    PipelineSettings,
    runtime_settings_from_env,
)
from media_pipeline.store.paths import DataRoot

SETTINGS = {ENV_PREFIX + "MODEL": "tiny.en", ENV_PREFIX + "LANGUAGE": "en",
            ENV_PREFIX + "INBOX_SETTLE_S": "1"}
SOURCES = ["librispeech/1272-128104-0000.wav", "jfk/jfk.wav", "ljspeech/LJ001-0001.flac"]


def make_clips(folder: Path, count: int) -> list[Path]:
    """``count`` distinct clips of 2-4 s of real speech (offsets and lengths vary)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [CORPUS / s for s in SOURCES if (CORPUS / s).exists()] or [CORPUS / "jfk/jfk.wav"]
    out = []
    for i in range(count):
        path = folder / f"clip{i:03d}.wav"
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-ss",
                        f"{(i * 0.113) % 4:.3f}", "-t", f"{2 + (i % 3):d}", "-i",
                        str(sources[i % len(sources)]), str(path)], check=True)
        out.append(path)
    return out


def queue_waits(instance: dg.DagsterInstance) -> list[float]:
    """Seconds from a step's submission to the Celery queue to a worker taking it."""
    waits = []
    for run in instance.get_runs():
        sent: dict[str, float] = {}
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            text, step = entry.message or "", entry.step_key or ""
            if text.startswith("Submitting celery task"):
                sent[step] = entry.timestamp
            elif "in celery worker" in text and step in sent:
                waits.append(entry.timestamp - sent.pop(step))
    return waits


def completed(data_dir: Path) -> int:
    library = DataRoot(data_dir).library()
    return sum(row.status == "completed" for row in library.rows())


def one_run(workers: int, clips: list[Path], batch_size: int, timeout_s: float
            ) -> dict[str, Any]:
    """A fresh cluster with ``workers`` workers; the clips dropped in; timed to the end."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"scale{workers}-")) / "data"
    cluster.up(data_dir, workers, None, cluster.ADMIN_URL, 0, batch_size)
    try:
        started = time.monotonic()
        for clip in clips:
            (data_dir / "inbox" / clip.name).write_bytes(clip.read_bytes())
        done = 0
        while done < len(clips) and time.monotonic() - started < timeout_s:
            time.sleep(2)
            done = completed(data_dir)
        seconds = time.monotonic() - started
        stats = read_worker_stats(data_dir)
        runtime = runtime_settings_from_env(data_dir)
        with open_instance(DataRoot.of(runtime).dagster_home, runtime) as instance:
            waits = queue_waits(instance)
    finally:
        cluster.down(data_dir)
        os.environ.pop(POSTGRES_URL_ENV, None)  # open_instance exported this cluster's URL
    return {"workers": workers, "files": len(clips), "completed": done,
            "seconds": round(seconds, 1), "files_per_min": round(60 * done / seconds, 2),
            "model_loads": sum(s["whisper_loads"] for s in stats),
            "worker_processes": [{k: s[k] for k in ("hostname", "pid", "tasks", "cpu_s",
                                                     "max_rss_mb", "whisper_loads")}
                                 for s in stats],
            "queue_wait_s": {"steps": len(waits),
                             "mean": round(statistics.fmean(waits), 2) if waits else None,
                             "max": round(max(waits), 2) if waits else None}}


def graphql(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as resp:
        answer: dict[str, Any] = json.loads(resp.read())
    if answer.get("errors"):
        raise RuntimeError(f"GraphQL: {answer['errors'][0].get('message')}")
    return answer["data"]  # type: ignore[no-any-return]


PAGE_QUERY = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) {
  ... on AssetNode { partitionKeysByDimension { name partitionKeys }
    assetPartitionStatuses { __typename ... on DefaultPartitionStatuses {
      materializedPartitions failedPartitions unmaterializedPartitions } } } } }"""
BACKFILL_MUTATION = """mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) { __typename
    ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""


def timed(call: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return round(time.perf_counter() - started, 3), result


def partitions_cost(count: int, clip: Path) -> dict[str, Any]:
    """Register ``count`` synthetic partitions, tick the inbox sensor, plan a backfill and
    load the partition page, in a fresh PostgreSQL instance."""
    from media_pipeline.automation.inbox import build_inbox_sensor
    from media_pipeline.resources.config import PipelineConfig
    from media_pipeline.resources.storage import StorageResource

    data_dir = Path(tempfile.mkdtemp(prefix=f"parts{count}-")) / "data"
    state = cluster.prepare(data_dir, 1, "amqp://unused//", cluster.ADMIN_URL, 64)
    os.environ[POSTGRES_URL_ENV] = state["values"][POSTGRES_URL_ENV]
    os.environ.pop(ENV_PREFIX + "CELERY_BROKER_URL", None)
    runtime = runtime_settings_from_env(data_dir)
    runtime = type(runtime)(**{**runtime.__dict__, "celery_broker_url": None})
    procs = DagsterProcesses(runtime)
    try:
        instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
        keys = [f"{i:016x}" for i in range(count)]
        register_s, _ = timed(lambda: instance.add_dynamic_partitions("media", keys))
        (data_dir / "inbox" / clip.name).write_bytes(clip.read_bytes())
        time.sleep(1.1)
        sensor = build_inbox_sensor(data_dir / "inbox", 64, 1.0)
        context = dg.build_sensor_context(instance=instance, resources={
            "storage": StorageResource.at(data_dir),
            "pipeline": PipelineConfig.from_settings(PipelineSettings())})
        tick_s, result = timed(lambda: sensor(context))
        procs.start(daemon=False)
        procs.wait_ready(timeout_s=600)
        params = {"assetSelection": [{"path": ["source_media"]}], "allPartitions": True}
        backfill_s, launched = timed(lambda: graphql(procs.ui_url, BACKFILL_MUTATION,
                                                     {"params": params}))
        page_s, page = timed(lambda: graphql(procs.ui_url, PAGE_QUERY,
                                             {"key": {"path": ["source_media"]}}))
        instance.dispose()
    finally:
        procs.stop()
        cluster.down(data_dir)
        os.environ.pop(POSTGRES_URL_ENV, None)
    node = page["assetNodeOrError"]
    shown = len(node["partitionKeysByDimension"][0]["partitionKeys"])
    return {"count": count, "register_s": register_s, "sensor_tick_s": tick_s,
            "sensor_runs": len(getattr(result, "run_requests", []) or []),
            "backfill_plan_s": backfill_s,
            "backfill": launched["launchPartitionBackfill"]["__typename"],
            "partition_page_s": page_s, "partition_page_keys": shown}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--partitions", default="10000,100000")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    os.environ.update(SETTINGS)
    clips = make_clips(Path(tempfile.mkdtemp(prefix="scale-clips-")), args.files)
    runs = []
    for n in (int(n) for n in args.workers.split(",") if n):
        runs.append(one_run(n, clips, args.batch_size, args.timeout))
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    partitions = []
    for n in (int(n) for n in args.partitions.split(",") if n):
        partitions.append(partitions_cost(n, clips[0]))
        print(json.dumps(partitions[-1]), file=sys.stderr, flush=True)
    data = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_avg_at_end": os.getloadavg()},
            "batch_size": args.batch_size, "runs": runs, "partitions": partitions}
    if len(runs) >= 2 and runs[0]["seconds"]:
        data["throughput_ratio"] = round(runs[0]["seconds"] / runs[-1]["seconds"], 2)
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    else:
        write_result("scale", data)
    print(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
