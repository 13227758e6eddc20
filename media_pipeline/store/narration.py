"""Where a narration's files live, and its request, written before its partition exists.

``<data root>/narrations/<key>/`` holds ``request.json`` (the text and options, written
atomically before the partition is added, so assets can read it by key), ``progress.json``,
``chunks.json``, ``synthesis.json``, ``timings.json``, ``narration.srt``/``.vtt`` and
``round_trip.json``. The audio is ``<AUDIO_STORAGE_DIR>/<key>.mp3`` (the seed's ``{job_id}.mp3``).
"""

import contextlib
import json
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_json_atomic
from media_pipeline.errors import MediaPipelineError
from media_pipeline.tts.manager import canonical_text, narration_key

_KEY = re.compile(r"[0-9a-f]{16}")

ProgressListener = Callable[[str, int, int], None]
"""Called as ``listener(key, completed_chunks, total_chunks)`` in the synthesizing process."""
_listeners: list[ProgressListener] = []
_listeners_lock = threading.Lock()


SEAL = "narration_subtitles.done.json"
"""The last narration stage's seal: the narration is complete."""


class NarrationNotFoundError(MediaPipelineError):
    """No narration with this id (the seed's ``JobNotFoundError``)."""

    def __init__(self, key: str) -> None:
        super().__init__("Narration not found")
        self.key = key


def is_key(key: str) -> bool:
    """True for a well-formed narration id (16 lower-case hex digits)."""
    return _KEY.fullmatch(key) is not None


@dataclass(frozen=True)
class NarrationRequest:
    """What was asked for; ``requested_at`` moves each time the same narration is asked for."""

    text: str
    voice: str
    speed: float
    provider: str
    created_at: float
    requested_at: float

    @property
    def key(self) -> str:
        return narration_key(self.text, self.voice, self.speed, self.provider)

    @classmethod
    def new(cls, text: str, voice: str, speed: float, provider: str,
            now: float | None = None) -> "NarrationRequest":
        stamp = time.time() if now is None else now
        return cls(canonical_text(text), voice, round(float(speed), 3), provider, stamp, stamp)


@dataclass(frozen=True)
class Progress:
    """Chunks synthesized so far by one run."""

    run_id: str
    completed_chunks: int
    total_chunks: int
    updated_at: float


class NarrationStore:
    """Paths and small JSON records of narrations; every write is atomic."""

    def __init__(self, root: Path, audio_dir: Path) -> None:
        self.root = Path(root)
        self.audio_dir = Path(audio_dir)

    def directory(self, key: str) -> Path:
        if not is_key(key):
            raise NarrationNotFoundError(key)
        return self.root / key

    def path(self, key: str, name: str) -> Path:
        """A file of narration ``key`` (``request.json``, ``timings.json``, ``narration.srt``…)."""
        return self.directory(key) / name

    def audio_path(self, key: str) -> Path:
        if not is_key(key):
            raise NarrationNotFoundError(key)
        return self.audio_dir / f"{key}.mp3"

    def list_keys(self) -> list[str]:
        """Every narration with a stored request."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if is_key(p.name)
                 and (p / "request.json").exists()]
        return sorted(found)

    def save_request(self, request: NarrationRequest) -> str:
        """Write ``request.json`` for ``request.key``; returns the key."""
        key = request.key
        write_json_atomic(self.path(key, "request.json"), asdict(request))
        return key

    def load_request(self, key: str) -> NarrationRequest:
        data = self.read_json(key, "request.json")
        if data is None:
            raise NarrationNotFoundError(key)
        return NarrationRequest(str(data["text"]), str(data["voice"]), float(data["speed"]),
                                str(data["provider"]), float(data["created_at"]),
                                float(data.get("requested_at", data["created_at"])))

    def read_json(self, key: str, name: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.path(key, name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def write_json(self, key: str, name: str, data: Any) -> Path:
        path = self.path(key, name)
        write_json_atomic(path, data)
        return path

    def write_progress(self, key: str, run_id: str, done: int, total: int) -> None:
        """Record progress (read by the API and CLI) and tell this process's listeners."""
        self.write_json(key, "progress.json", asdict(Progress(run_id, done, total, time.time())))
        with _listeners_lock:
            listeners = list(_listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken display must not fail a narration
                listener(key, done, total)

    def read_progress(self, key: str) -> Progress | None:
        data = self.read_json(key, "progress.json")
        if data is None:
            return None
        return Progress(str(data["run_id"]), int(data["completed_chunks"]),
                        int(data["total_chunks"]), float(data["updated_at"]))

    def delete(self, key: str) -> None:
        """Remove everything of narration ``key``: its directory and its audio."""
        shutil.rmtree(self.directory(key), ignore_errors=True)
        self.audio_path(key).unlink(missing_ok=True)
        for stray in self.audio_dir.glob(f".{key}.mp3.*.part"):
            stray.unlink(missing_ok=True)


def add_progress_listener(listener: ProgressListener) -> None:
    with _listeners_lock:
        _listeners.append(listener)


def remove_progress_listener(listener: ProgressListener) -> None:
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)
