"""Speaker diarization report: DER, speaker-attributed WER, wrong splits, cost, memory.

Runs the real pipeline (``process_paths``, default settings: ``speakers=auto``, tiny.en)
and writes ``benchmarks/results/speakers.json``:

* per multi-speaker file (the corpus's and mixes of LibriSpeech/LJSpeech speakers with short
  turns and overlaps, see ``speaker_mixes``): speakers found, DER with a 0.25 s collar and
  without (md-eval's definition, ``text/diarization_eval.py``), cpWER against plain WER;
* single-speaker corpus files the clustering splits (target 0), with the same decoding,
  loudness and voice detection as the pipeline;
* the wall time the speakers asset adds: the throughput set (8 LibriSpeech clips and the two
  long readings) processed with ``speakers=off`` and ``auto`` in one warm process,
  alternately, best of ``--repeats``;
* peak memory of the speakers step on a 1-hour file against a 5-minute one (subprocesses).

Usage: ``python -m benchmarks.speakers [--quick] [--out PATH]`` (``--quick``: no memory run,
one repeat, the first 20 single-speaker files).
"""

import argparse
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import CORPUS, RESULTS, wer
from benchmarks.speaker_mixes import MIXES, Case, build_mix, corpus_cases, describe, timed_reference
from media_pipeline.audio.decode import decode_mono
from media_pipeline.audio.loudness import normalize_loudness
from media_pipeline.audio.speaker_encoder import load_encoder
from media_pipeline.audio.speakers import DiarizeOptions, diarize
from media_pipeline.audio.vad import speech_regions
from media_pipeline.audio.wav import write_wav
from media_pipeline.batch import process_paths
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.stages.speakers import read_turns
from media_pipeline.text.diarization_eval import diarization_error, speaker_attributed_wer

MULTI = {"picovoice_leopard/diarization_test.wav", "mfa/michaelandsickmichael.wav",
         "faster-whisper/stereo_diarization.wav"}
NOT_ONE_VOICE = ("misc/", "lyrics/", "pyloudnorm/", "webrtcvad/", "aeneas/vad/",
                 "picovoice_leopard/empty", "faster-whisper/multilingual")
"""Not single-speaker speech: several voices (Apollo 11, the language montage), music,
test tones and silence."""


def score_case(case: Case, data_dir: Path) -> dict[str, Any]:
    """Run the pipeline on one case and score its speakers."""
    settings = PipelineSettings()
    started = time.perf_counter()
    [result] = process_paths([case.audio], runtime_settings_from_env(data_dir), settings)
    if result.status != "completed" or result.key is None:
        return {"file": case.name, "status": result.status, "error": result.error}
    storage = StorageResource.at(data_dir)
    fps = storage.fingerprints(settings, result.key)
    hyp = read_turns(storage.artifacts.find(result.key, "speakers", fps["speakers"],
                                            "speakers"))
    words = [w for c in read_cues(storage.artifacts.find(result.key, "edited_cues",
                                                         fps["edited_cues"], "cues"))
             for w in c.words]
    ref = case.turns or timed_reference(case, [(w.text, w.start_ms / 1000, w.end_ms / 1000)
                                               for w in words])
    said: dict[str, str] = {}
    for w in words:
        said[w.speaker] = f"{said.get(w.speaker, '')} {w.text}"
    collared, bare = diarization_error(ref, hyp, 0.25), diarization_error(ref, hyp, 0.0)
    return {"file": case.name, **describe(case), "reference_turns": len(ref),
            "speakers_found": len({t[2] for t in hyp}),
            "der_collar_0_25": round(collared.der, 4), "der_no_collar": round(bare.der, 4),
            "missed_s": round(collared.missed_s, 2),
            "false_alarm_s": round(collared.false_alarm_s, 2),
            "confusion_s": round(collared.confusion_s, 2),
            "speaker_attributed_wer": round(speaker_attributed_wer(case.texts, said), 4),
            "wer": None if case.ordered_text is None else
            round(wer(case.ordered_text, " ".join(w.text for w in words)), 4),
            "seconds": round(time.perf_counter() - started, 2)}


def single_speaker_files(limit: int | None) -> list[Path]:
    """Corpus speech files of one voice each (the manifest, less the exceptions above)."""
    rows = (CORPUS / "manifest.tsv").read_text().splitlines()[1:]
    names = [r.split("\t")[0] for r in rows]
    chosen = [n for n in names if n not in MULTI and not n.startswith(NOT_ONE_VOICE)]
    return [CORPUS / n for n in chosen][:limit]


def _reader(samples: np.ndarray) -> Callable[[float, float], np.ndarray]:
    return lambda a, b: samples[int(a * 16_000):int(b * 16_000)]


def wrong_splits(files: list[Path]) -> dict[str, Any]:
    """How many one-voice files come out with more than one speaker."""
    encoder, split = load_encoder(), []
    for path in files:
        samples, _ = normalize_loudness(decode_mono(path), 16_000, -20.0)
        regions = [(r.start_ms, r.end_ms) for r in speech_regions(samples, 16_000)]
        turns, _ = diarize(_reader(samples), encoder, regions, DiarizeOptions())
        found = len({t.speaker for t in turns})
        if found > 1:
            split.append({"file": str(path.relative_to(CORPUS)), "speakers": found})
    return {"files": len(files), "split": len(split), "split_files": split}


def added_cost(data_dir: Path, repeats: int) -> dict[str, Any]:
    """Wall time of the throughput set (the 8 LibriSpeech clips and ``long/``, as
    ``benchmarks.throughput``) with speakers off and auto, models warm; and the speakers
    step's own seconds (from its artifacts), steadier than a difference of two wall times
    on a shared machine."""
    clips = sorted(p for p in (CORPUS / "librispeech").iterdir() if p.suffix in (".flac",
                                                                                ".wav"))
    clips += sorted((CORPUS / "long").glob("*.ogg"))
    runtime = runtime_settings_from_env(data_dir / "warm")
    process_paths(clips[:1], runtime, PipelineSettings())  # loads both models once
    best: dict[str, float] = {}
    step_s: list[float] = []
    for i in range(repeats):
        for mode in ("off", "auto"):
            runtime = runtime_settings_from_env(data_dir / f"{mode}{i}")
            started = time.perf_counter()
            results = process_paths(clips, runtime, PipelineSettings(speakers=mode))
            assert all(r.status == "completed" for r in results), results
            best[mode] = min(best.get(mode, 1e9), time.perf_counter() - started)
            if mode == "auto":
                step_s.append(sum(json.loads(m.read_text())["info"].get("seconds", 0.0)
                                  for m in (data_dir / f"auto{i}").glob(
                                      "artifacts/*/speakers-*/manifest.json")))
    audio_s = sum(len(decode_mono(c)) / 16_000 for c in clips)
    return {"clips": len(clips), "audio_s": round(audio_s, 1), "repeats": repeats,
            "off_s": round(best["off"], 2), "auto_s": round(best["auto"], 2),
            "added_share": round(best["auto"] / best["off"] - 1, 4),
            "speakers_step_s": round(min(step_s), 2),
            "speakers_step_share": round(min(step_s) / best["off"], 4)}


def _hwm_mb() -> float:
    """This process's peak resident memory (VmHWM: reset by exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _long_file(out_dir: Path, seconds: float) -> tuple[Path, Path]:
    """A WAV of ``seconds`` made of corpus speech (four speakers, tiled) and its regions."""
    sources = ["long/fairytale-en.ogg", "mfa/michaelandsickmichael.wav",
               "librispeech/2412-153948-0000.flac", "ljspeech/LJ001-0001.flac"]
    pieces = [normalize_loudness(decode_mono(CORPUS / s), 16_000, -20.0)[0] for s in sources]
    piece_regions = [[(r.start_ms, r.end_ms) for r in speech_regions(p, 16_000)] for p in pieces]
    chunks, regions, offset_ms, i = [], [], 0, 0
    while offset_ms < seconds * 1000:
        k = i % len(pieces)
        chunks.append(pieces[k])
        regions += [[a + offset_ms, b + offset_ms] for a, b in piece_regions[k]]
        offset_ms += len(pieces[k]) * 1000 // 16_000
        i += 1
    wav = out_dir / f"long_{int(seconds)}.wav"
    write_wav(wav, np.concatenate(chunks), 16_000)
    regions_file = wav.with_suffix(".json")
    regions_file.write_text(json.dumps({"regions": regions}))
    return wav, regions_file


def memory_child(wav: Path, regions: Path) -> None:
    """In a fresh process: the speakers step on ``wav``; prints its peak RSS (MB)."""
    from media_pipeline.stages.speakers import speakers_step

    load_encoder()
    loaded = _hwm_mb()
    started = time.perf_counter()
    _, info = speakers_step(wav, regions, PipelineSettings(), wav.parent)
    peak = _hwm_mb()
    print(json.dumps({"peak_rss_mb": peak, "rss_after_model_load_mb": loaded,
                      "step_peak_mb": round(peak - loaded, 1),
                      "seconds": round(time.perf_counter() - started, 1),
                      "windows": info["windows"], "speakers": info["speaker_count"]}))


def memory(out_dir: Path) -> dict[str, Any]:
    """Peak memory of the speakers step on a 5-minute and a 1-hour file."""
    out: dict[str, Any] = {}
    for seconds in (300.0, 3600.0):
        wav, regions = _long_file(out_dir, seconds)
        run = subprocess.run([sys.executable, "-m", "benchmarks.speakers", "--memory-child",
                              str(wav), str(regions)], capture_output=True, text=True,
                             check=True)
        out[f"{int(seconds // 60)}_min"] = json.loads(run.stdout.strip().splitlines()[-1])
        wav.unlink()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "speakers.json")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    for name in ("dagster", "faster_whisper", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    started = time.perf_counter()
    report: dict[str, Any] = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S"),
                              "machine": platform.platform(), "quick": args.quick,
                              "settings": "defaults (speakers=auto, tiny.en)",
                              "options": DiarizeOptions().__dict__}
    with tempfile.TemporaryDirectory(prefix="speakers-") as tmp:
        root = Path(tmp)
        cases = [*corpus_cases(root), *(build_mix(n, s, root) for n, s in MIXES.items())]
        report["files"] = [score_case(c, root / "data") for c in cases]
        scored = [r["der_collar_0_25"] for r in report["files"] if "der_collar_0_25" in r]
        report["mean_der_collar_0_25"] = round(float(np.mean(scored)), 4)
        report["single_speaker"] = wrong_splits(single_speaker_files(20 if args.quick
                                                                     else None))
        report["cost"] = added_cost(root / "cost", 1 if args.quick else args.repeats)
        if not args.quick:
            report["memory"] = memory(root)
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("mean_der_collar_0_25", "single_speaker", "cost")},
                     indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
