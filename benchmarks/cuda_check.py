"""Device check (run on the lent GPU machine, not here): faster-whisper with device=cuda.

Carried there: the ctranslate2 4.8.5 and faster-whisper 1.2.1 wheels (one call, installed to
/tmp/site), then this script beside ``tiny8/`` (tiny.en as int8, see ct2_int8.py),
``long.wav`` and ``jfk16.wav`` (16 kHz mono) and a stand-in ``av`` package (a second call on
the warm machine). Results: benchmarks/results/cuda_check.json.
"""
import glob
import json
import os
import subprocess
import sys
import time
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("OUT", "/tmp")


def load(name):
    with wave.open(os.path.join(HERE, name), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.astype(np.float32) / 32768.0


def run_once(device, compute_type, audio, batched=0, threads=0):
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    t0 = time.perf_counter()
    model = WhisperModel(os.path.join(HERE, "tiny8"), device=device, compute_type=compute_type,
                         cpu_threads=threads)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if batched:
        pipe = BatchedInferencePipeline(model=model)
        segments, _ = pipe.transcribe(audio, batch_size=batched, beam_size=5,
                                      word_timestamps=True, language="en")
    else:
        segments, _ = model.transcribe(audio, beam_size=5, word_timestamps=True,
                                       vad_filter=True, language="en")
    text = " ".join(s.text.strip() for s in segments)
    return {"device": device, "compute_type": compute_type, "batched": batched,
            "load_s": round(load_s, 3), "seconds": round(time.perf_counter() - t0, 3),
            "words": len(text.split()), "text_head": text[:120]}


def main():
    result = {"python": sys.version.split()[0]}
    import ctranslate2

    result["ctranslate2"] = ctranslate2.__version__
    result["cuda_devices"] = ctranslate2.get_cuda_device_count()
    try:
        result["cuda_compute_types"] = sorted(ctranslate2.get_supported_compute_types("cuda"))
    except Exception as exc:
        result["cuda_compute_types_error"] = str(exc)[:300]
    long_audio, jfk = load("long.wav"), load("jfk16.wav")
    result["long_audio_s"] = round(len(long_audio) / 16000, 1)
    runs = []
    plans = [("cuda", "int8_float16", jfk, 0), ("cuda", "int8_float16", long_audio, 0),
             ("cuda", "float16", long_audio, 0), ("cuda", "int8_float16", long_audio, 16),
             ("cpu", "int8", long_audio, 0), ("cpu", "int8", long_audio, 8)]
    for device, ctype, audio, batched in plans:
        try:
            runs.append(run_once(device, ctype, audio, batched, threads=16 if device == "cpu"
                                 else 0))
        except Exception as exc:
            runs.append({"device": device, "compute_type": ctype, "batched": batched,
                         "error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        print(json.dumps(runs[-1]), flush=True)
    result["runs"] = runs
    return result


if __name__ == "__main__":
    out = main()
    cuda_failed = any(r["device"] == "cuda" and "error" in r for r in out["runs"])
    if cuda_failed and "MP_LINKED" not in os.environ:
        # The wheels want CUDA 12's cuBLAS; this image has CUDA 13's: try it under 12's names.
        libs = glob.glob("/opt/torch/.venv/lib/python3*/site-packages/nvidia/cu*/lib/"
                         "libcublas*.so.*")
        libs += glob.glob("/usr/local/cuda*/lib64/libcublas*.so.*")
        out["cublas_found"] = libs[:10]
        link_dir = "/tmp/cu12"
        os.makedirs(link_dir, exist_ok=True)
        for lib in libs:
            base = os.path.basename(lib).split(".so")[0]
            target = os.path.join(link_dir, f"{base}.so.12")
            if not os.path.exists(target):
                os.symlink(lib, target)
        env = dict(os.environ, MP_LINKED="1",
                   LD_LIBRARY_PATH=link_dir + ":" + os.environ.get("LD_LIBRARY_PATH", ""))
        again = subprocess.run([sys.executable, __file__], env=env, capture_output=True,
                               text=True, timeout=400)
        out["with_cublas13_as_12"] = again.stdout[-4000:] + again.stderr[-1500:]
    path = os.path.join(OUT, "device.json" if "MP_LINKED" not in os.environ else "linked.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k != "runs"})[:3000])
