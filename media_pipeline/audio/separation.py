"""Vocal isolation with Demucs: local weights only, bounded memory, threads from settings.

Weights are looked up, never downloaded, in the layouts Demucs itself uses:

* a model folder (``separation_models_dir``, default ``<data root>/models/demucs``): bag
  files ``<name>.yaml`` and weight files ``<sig>-<sha256 prefix>.th`` (Demucs' ``--repo``);
* torch hub's cache (``$TORCH_HOME/hub/checkpoints``, default ``~/.cache/torch/hub``),
  where ``demucs`` up to 4.0 downloads ``955717e8-8726e21a.th`` for ``htdemucs``;
* Hugging Face's cache (``models--adefossez--HTDemucs/…/955717e8.safetensors``), where
  ``demucs`` 4.1 downloads.

A model name is a bag (``htdemucs``, ``htdemucs_ft``, …; Demucs' own ``remote/*.yaml`` say
which signatures it holds), a single signature, or a path to a ``.th``, ``.safetensors`` or
``.yaml`` file. A ``.th`` file whose name carries a checksum is verified, as Demucs does.

:func:`separate_vocals` streams the file through ffmpeg in blocks of ``segment_s`` seconds
(crossfaded over ``overlap_s``), so memory does not grow with the file's length, and writes
the stem as 16-bit FLAC at the model's rate and channel count.
"""

import importlib.util
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from media_pipeline.atomic import atomic_path
from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.audio.tracks import ffmpeg_map
from media_pipeline.errors import MediaPipelineError

DEFAULT_MODEL = "htdemucs"
DOWNLOAD_ROOT = "https://dl.fbaipublicfiles.com/demucs/"
HF_NAMESPACE = "adefossez"


class SeparationError(MediaPipelineError):
    """Vocal isolation could not run (bad model file, no vocals stem, cancelled)."""


class SeparationWeightsMissing(SeparationError):
    """The Demucs weights are not on this machine; ``expected`` is where to put them."""

    def __init__(self, model: str, expected: Path, url: str | None) -> None:
        where = f" (download: {url})" if url else ""
        super().__init__(f"Demucs weights for {model!r} are not on this machine: "
                         f"put {expected.name} at {expected}{where}")
        self.model = model
        self.expected = expected
        self.url = url


@dataclass(frozen=True)
class ResolvedModel:
    """The weight files of a Demucs model (one per model of its bag)."""

    name: str
    files: tuple[Path, ...]
    weights: tuple[tuple[float, ...], ...] | None = None
    segment: float | None = None

    @property
    def identity(self) -> str:
        """What identifies the weights in fingerprints: names carry Demucs' checksums."""
        return f"{self.name}[{','.join(f'{p.name}:{p.stat().st_size}' for p in self.files)}]"


@dataclass(frozen=True)
class SeparationResult:
    """The written stem and what it cost."""

    path: Path
    sample_rate: int
    channels: int
    frames: int
    seconds: float

    @property
    def audio_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def real_time_factor(self) -> float:
        return self.seconds / self.audio_s if self.frames else 0.0


def torch_hub_checkpoints() -> Path:
    """Where ``torch.hub`` keeps downloaded checkpoints (without importing torch)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch")
    return Path(home) / "hub" / "checkpoints"


def _demucs_remote() -> Path | None:
    spec = importlib.util.find_spec("demucs")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "remote"


def _remote_files() -> dict[str, str]:
    """Signature → download URL, from Demucs' ``remote/files.txt``."""
    remote = _demucs_remote()
    if remote is None or not (remote / "files.txt").exists():
        return {}
    root, out = "", {}
    for line in (remote / "files.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("root:"):
            root = line.split(":", 1)[1].strip()
        else:
            out[line.split("-", 1)[0]] = DOWNLOAD_ROOT + root + line
    return out


def _bag(name: str, dirs: list[Path]) -> dict[str, Any] | None:
    import yaml

    remote = _demucs_remote()
    for d in [*dirs, *([remote] if remote else [])]:
        path = d / f"{name}.yaml"
        if path.is_file():
            data: dict[str, Any] = yaml.safe_load(path.read_text())
            return data
    return None


def _hf_repo(name: str) -> str:
    if name == "htdemucs":
        return f"{HF_NAMESPACE}/HTDemucs"
    if name.startswith("htdemucs_"):
        return f"{HF_NAMESPACE}/HTDemucs-{name[len('htdemucs_'):]}"
    return f"{HF_NAMESPACE}/Demucs-{name}"


def _find_signature(sig: str, name: str, dirs: list[Path]) -> Path | None:
    for d in dirs:
        if not d.is_dir():
            continue
        found = [*sorted(d.glob(f"{sig}-*.th")), d / f"{sig}.th", d / f"{sig}.safetensors"]
        for path in found:
            if path.is_file():
                return path
    try:  # Hugging Face's cache, offline (no request is made)
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(_hf_repo(name), f"{sig}.safetensors")
        if isinstance(cached, str) and Path(cached).is_file():
            return Path(cached)
    except Exception:  # no huggingface_hub, or an unreadable cache
        pass
    return None


def search_dirs(models_dir: Path) -> list[Path]:
    """Folders searched for weights, in order."""
    return [models_dir, torch_hub_checkpoints()]


def resolve_model(name: str, models_dir: Path) -> ResolvedModel:
    """The weight files of ``name``; raises SeparationWeightsMissing naming where to put them."""
    name = name or DEFAULT_MODEL
    if _demucs_remote() is None:
        raise SeparationError("vocal isolation needs demucs: pip install 'media_pipeline[music]'")
    dirs = search_dirs(models_dir)
    direct = Path(name).expanduser()
    if direct.suffix in (".th", ".safetensors"):
        if not direct.is_file():
            raise SeparationWeightsMissing(name, direct.resolve(), None)
        return ResolvedModel(direct.stem, (direct.resolve(),))
    if direct.suffix == ".yaml" and direct.is_file():
        dirs = [direct.parent, *dirs]
        name = direct.stem
    bag = _bag(name, dirs)
    sigs = [str(s) for s in bag["models"]] if bag else [name]
    files: list[Path] = []
    urls = _remote_files()
    for sig in sigs:
        path = _find_signature(sig, name, dirs)
        if path is None:
            url = urls.get(sig)
            file_name = url.rsplit("/", 1)[1] if url else f"{sig}.th"
            raise SeparationWeightsMissing(name, (models_dir / file_name).resolve(), url)
        files.append(path.resolve())
    weights = tuple(tuple(float(x) for x in w) for w in bag["weights"]) if bag and bag.get(
        "weights") else None
    segment = float(bag["segment"]) if bag and bag.get("segment") else None
    return ResolvedModel(name, tuple(files), weights, segment)


def separation_identity(mode: str, name: str, models_dir: Path) -> str:
    """The vocals fingerprint's view of the weights: '' when off, 'missing:…' when absent."""
    if mode == "off":
        return ""
    try:
        return resolve_model(name, models_dir).identity
    except SeparationError:
        return f"missing:{name}"


def load_separator(resolved: ResolvedModel) -> Any:
    """The Demucs model (a bag) for ``resolved``, loaded once per process."""
    return _load(resolved.files, resolved.weights, resolved.segment)


def separator_loads() -> int:
    """How many times this process has loaded a Demucs model (a cached one is not counted)."""
    return _load.cache_info().misses


@lru_cache(maxsize=2)
def _load(files: tuple[Path, ...], weights: tuple[tuple[float, ...], ...] | None,
          segment: float | None) -> Any:
    try:
        from demucs.apply import BagOfModels
        from demucs.hf import load_safetensors_model
        from demucs.repo import check_checksum
        from demucs.states import load_model
    except ImportError as exc:
        raise SeparationError("vocal isolation needs demucs: pip install 'media_pipeline[music]'"
                              ) from exc
    models = []
    for path in files:
        if path.suffix == ".safetensors":
            models.append(load_safetensors_model(path))
            continue
        if "-" in path.stem:
            check_checksum(path, path.stem.rsplit("-", 1)[1])
        models.append(load_model(path))  # type: ignore[no-untyped-call]
    bag = BagOfModels(models, [list(w) for w in weights] if weights else None, segment)
    bag.eval()
    return bag


def stream_pcm(path: Path, rate: int, channels: int, block_frames: int,
               track: int = 0) -> Iterator[np.ndarray]:
    """Blocks of ``(frames, channels)`` float32 samples of audio track ``track`` (from 0)
    decoded by ffmpeg (the last block may be short)."""
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path),
           "-map", ffmpeg_map(track), "-vn", "-sn", "-dn", "-ac", str(channels),
           "-ar", str(rate), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    size = block_frames * channels * 4
    try:
        while True:
            data = proc.stdout.read(size)
            if not data:
                break
            usable = len(data) - len(data) % (channels * 4)
            yield np.frombuffer(data[:usable], dtype=np.float32).reshape(-1, channels)
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def _mono_stats(path: Path, rate: int, channels: int,
                track: int) -> tuple[float, float]:
    total = total_sq = 0.0
    count = 0
    for block in stream_pcm(path, rate, channels, rate * 60, track):
        mono = block.mean(axis=1, dtype=np.float64)
        total += float(mono.sum())
        total_sq += float((mono**2).sum())
        count += mono.shape[0]
    if count == 0:
        raise SeparationError("no audio samples decoded")
    mean = total / count
    return mean, float(np.sqrt(max(total_sq / count - mean * mean, 0.0)))


def separate_vocals(model: Any, source: Path, dest: Path, segment_s: float = 30.0,
                    overlap_s: float = 2.0, threads: int = 0, stem: str = "vocals",
                    should_stop: Callable[[], bool] | None = None,
                    track: int = 0) -> SeparationResult:
    """Write ``model``'s ``stem`` of ``source``'s audio track ``track`` (from 0) to ``dest``
    (FLAC), block by block."""
    import soundfile as sf
    import torch
    from demucs.apply import apply_model

    if stem not in model.sources:
        raise SeparationError(f"the Demucs model has no {stem!r} stem ({', '.join(model.sources)})")
    index = model.sources.index(stem)
    rate, channels = int(model.samplerate), int(model.audio_channels)
    hop = max(1, int(segment_s * rate))
    overlap = min(int(overlap_s * rate), hop // 2)
    started = time.perf_counter()
    mean, std = _mono_stats(source, rate, channels, track)
    std = std or 1.0
    ramp = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[:, None]
    previous_threads = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    frames = 0

    def run(window: np.ndarray) -> np.ndarray:
        mix = torch.from_numpy(((window - mean) / std).T.copy())[None]
        with torch.inference_mode():
            out = apply_model(model, mix, shifts=0, split=True, overlap=0.25, progress=False)
        return np.asarray(out[0, index].numpy().T * std + mean, dtype=np.float32)

    try:
        with atomic_path(dest, suffix=".flac") as tmp, sf.SoundFile(
                tmp, "w", samplerate=rate, channels=channels, format="FLAC",
                subtype="PCM_16") as fh:
            window = np.zeros((0, channels), dtype=np.float32)
            tail: np.ndarray | None = None  # separated overlap still to be crossfaded
            for block in stream_pcm(source, rate, channels, hop, track):
                window = np.concatenate([window, block])
                while window.shape[0] >= hop + overlap:
                    tail = _emit(fh, run(window[: hop + overlap]), tail, hop, ramp)
                    frames += hop
                    window = window[hop:]
                    if should_stop is not None and should_stop():
                        raise SeparationError("vocal isolation was cancelled")
            if window.shape[0] > 0:
                out = run(window)
                if tail is not None:
                    n = min(overlap, out.shape[0])
                    out[:n] = tail[:n] * (1 - ramp[:n]) + out[:n] * ramp[:n]
                fh.write(np.clip(out, -1.0, 1.0))
                frames += out.shape[0]
            elif tail is not None:
                fh.write(np.clip(tail, -1.0, 1.0))
                frames += tail.shape[0]
    finally:
        torch.set_num_threads(previous_threads)
    return SeparationResult(dest, rate, channels, frames, time.perf_counter() - started)


def _emit(fh: Any, out: np.ndarray, tail: np.ndarray | None, hop: int,
          ramp: np.ndarray) -> np.ndarray:
    """Write the first ``hop`` frames of ``out`` (crossfaded with ``tail``); return its tail."""
    head = out[:hop].copy()
    if tail is not None:
        n = tail.shape[0]
        head[:n] = tail * (1 - ramp) + head[:n] * ramp
    fh.write(np.clip(head, -1.0, 1.0))
    return out[hop:]


def save_demucs_model(model: Any, folder: Path, sig: str) -> Path:
    """Save ``model`` as Demucs' released weights are stored: ``torch.save`` of its class,
    init arguments and half-precision state, named ``<sig>-<sha256 prefix>.th``."""
    import hashlib
    import io

    import torch
    from demucs.states import get_state

    args, kwargs = model._init_args_kwargs
    package = {"klass": model.__class__, "args": args, "kwargs": kwargs,
               "state": get_state(model, None, half=True),  # type: ignore[no-untyped-call]
               "training_args": {}}
    buf = io.BytesIO()
    torch.save(package, buf)
    data = buf.getvalue()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sig}-{hashlib.sha256(data).hexdigest()[:8]}.th"
    path.write_bytes(data)
    return path


def tiny_htdemucs(seed: int = 0) -> Any:
    """A randomly initialised HTDemucs with htdemucs' geometry (44.1 kHz stereo, four stems,
    4096-point STFT, depth 4) but four channels and one transformer layer: for tests and
    benchmarks of the loading and streaming code (its stems are not meaningful)."""
    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(seed)
    return HTDemucs(["drums", "bass", "other", "vocals"], channels=4, depth=4, nfft=4096,
                    t_layers=1, t_heads=1, t_hidden_scale=1.0, dconv_depth=1, dconv_comp=2,
                    segment=4, samplerate=44100)
