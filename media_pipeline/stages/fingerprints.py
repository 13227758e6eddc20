"""Every asset's fingerprint for one media file, from the data root alone (no Dagster)."""

from pathlib import Path

from media_pipeline.audio.separation import separation_identity
from media_pipeline.library.cleanup_reverts import media_reverts_digest
from media_pipeline.library.dictionary import media_dictionary_digest
from media_pipeline.library.speaker_names import speaker_names, speaker_names_digest
from media_pipeline.settings import PipelineSettings
from media_pipeline.store.fingerprints import ExtraInputs, asset_fingerprints
from media_pipeline.store.lyrics import lyrics_digest
from media_pipeline.store.paths import DataRoot


def demucs_dir(data: DataRoot, settings: PipelineSettings) -> Path:
    """Where Demucs weights are looked for first (see audio/separation.py)."""
    chosen = settings.separation_models_dir
    return Path(chosen).expanduser().resolve() if chosen else data.models_dir / "demucs"


def media_fingerprints(data: DataRoot, settings: PipelineSettings, key: str | None,
                       model_identity: str) -> dict[str, str]:
    """Every asset's fingerprint for media ``key`` under ``settings``, the Whisper models'
    being ``model_identity``.

    A key's own lyrics, dictionary entries and undone cleanup changes enter only its own
    fingerprints; without a key, the result is that of a media with none of them.
    """
    library = data.library()
    separation = separation_identity(settings.separation, settings.separation_model,
                                     demucs_dir(data, settings))
    if separation:  # the block length changes the stem slightly
        separation += f"@{settings.separation_segment_s:g}s"
    extra = ExtraInputs(
        model_identity=model_identity,
        dictionary=media_dictionary_digest(library, key),
        lyrics=lyrics_digest(data.root, key), separation_model=separation,
        cleanup_reverts=media_reverts_digest(library, key),
        speaker_names=speaker_names_digest(speaker_names(library, key)))
    return asset_fingerprints(settings, extra)
