"""Every path under the data root, built in one place, and the one way to open the library."""

from dataclasses import dataclass
from pathlib import Path

from media_pipeline.library.db import Library
from media_pipeline.settings import RuntimeSettings
from media_pipeline.store.artifacts import ArtifactStore

DEFAULT_LOCK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class DataRoot:
    """The data root: media store, artifacts, library, Dagster home, lyrics, models, logs."""

    root: Path
    inbox_dir: Path | None = None
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S

    @classmethod
    def of(cls, runtime: RuntimeSettings) -> "DataRoot":
        return cls(runtime.data_dir, runtime.inbox_dir, runtime.library_lock_timeout_s)

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.root / "inbox"

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    @property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.artifacts_dir)

    @property
    def library_path(self) -> Path:
        return self.root / "library.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def lyrics_dir(self) -> Path:
        return self.root / "lyrics"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def locks_dir(self) -> Path:
        """Lock files held by processes running in-process runs (who is still alive)."""
        return self.root / "locks"

    @property
    def audio_dir(self) -> Path:
        """Narration MP3s (the seed's AUDIO_STORAGE_DIR when that is not set)."""
        return self.root / "audio"

    @property
    def default_library_root(self) -> Path:
        """What ``POST /api/jobs {"path": …}`` may read when no library root is set."""
        return self.root / "library"

    def library(self) -> Library:
        """The DuckDB library (opened per transaction; creates the file on first write)."""
        return Library(self.library_path, self.lock_timeout_s)

    def media_file(self, key: str) -> Path | None:
        """The stored file for ``key``, whatever its extension."""
        matches = sorted(p for p in self.media_dir.glob(f"{key}.*")
                         if not p.name.endswith(".tmp"))
        return matches[0] if matches else None
