"""The data root as a Dagster resource: artifacts, library, model folders, fingerprints."""

from pathlib import Path

import dagster as dg

from media_pipeline.library.db import Library
from media_pipeline.resources.whisper import FakeWhisperResource, WhisperResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.stages.fingerprints import demucs_dir, media_fingerprints
from media_pipeline.store.artifacts import ArtifactStore
from media_pipeline.store.paths import DEFAULT_LOCK_TIMEOUT_S, DataRoot


class StorageResource(dg.ConfigurableResource):  # type: ignore[misc]
    """The data root: media store, artifacts, library database and model folders."""

    data_dir: str
    library_lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S
    fake_transcript: str | None = None
    """Tests only: recognise every file as this text (``FakeWhisperResource``), no model."""

    @classmethod
    def of(cls, runtime: RuntimeSettings, whisper: WhisperResource | None = None,
           ) -> "StorageResource":
        """The resource for ``runtime``'s data root (real faster-whisper unless given)."""
        return cls(data_dir=str(runtime.data_dir),
                   library_lock_timeout_s=runtime.library_lock_timeout_s,
                   fake_transcript=_fake_transcript(whisper))

    @classmethod
    def at(cls, data_dir: str | Path, whisper: WhisperResource | None = None,
           ) -> "StorageResource":
        """The resource for the data root ``data_dir`` (real faster-whisper unless given)."""
        return cls(data_dir=str(data_dir), fake_transcript=_fake_transcript(whisper))

    @property
    def whisper(self) -> WhisperResource:
        """The recognizer: faster-whisper, or the fake when a fake transcript is set."""
        if self.fake_transcript is not None:
            return FakeWhisperResource(transcript=self.fake_transcript)
        return WhisperResource()

    @property
    def data(self) -> DataRoot:
        return DataRoot(Path(self.data_dir), lock_timeout_s=self.library_lock_timeout_s)

    @property
    def root(self) -> Path:
        return Path(self.data_dir)

    @property
    def artifacts(self) -> ArtifactStore:
        return self.data.artifacts

    def library(self) -> Library:
        return self.data.library()

    def model_dir(self, settings: PipelineSettings) -> Path:
        return self.whisper.model_dir(settings, self.data.models_dir)

    def demucs_dir(self, settings: PipelineSettings) -> Path:
        """Where Demucs weights are looked for first (see audio/separation.py)."""
        return demucs_dir(self.data, settings)

    def fingerprints(self, settings: PipelineSettings, key: str | None = None) -> dict[str, str]:
        """Every asset's fingerprint for media ``key`` under ``settings`` (see
        :func:`stages.fingerprints.media_fingerprints`)."""
        return media_fingerprints(self.data, settings, key,
                                  self.whisper.identity(settings, self.data.models_dir))


def _fake_transcript(whisper: WhisperResource | None) -> str | None:
    return whisper.transcript if isinstance(whisper, FakeWhisperResource) else None
