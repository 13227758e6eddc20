"""Which Whisper models a file may need under some settings, and their joint identity.

Kept free of Dagster so that ``process`` can tell that every file is already up to date (their
fingerprints hold this identity) without importing the run machinery.
"""

from pathlib import Path

from media_pipeline.asr.language import AUTO_MODEL, check_task
from media_pipeline.asr.models import ENGLISH_ONLY_SUFFIX, model_identity
from media_pipeline.errors import ModelUnavailableError
from media_pipeline.settings import PipelineSettings


def named_model(settings: PipelineSettings, model: str | None = None) -> str:
    """``model``, or when None the settings' model (for ``auto``: the multilingual one)."""
    if model is not None:
        return model
    return settings.multilingual_model if settings.model == AUTO_MODEL else settings.model


def detector_model(settings: PipelineSettings) -> str:
    """The model that detects the language: a forced model that is not ``*.en`` itself,
    else the multilingual model."""
    if settings.model != AUTO_MODEL and not settings.model.endswith(ENGLISH_ONLY_SUFFIX):
        return settings.model
    return settings.multilingual_model


def candidate_models(settings: PipelineSettings) -> list[str]:
    """Every model these settings may load for a file, detector first."""
    if settings.language and settings.model != AUTO_MODEL:
        return [settings.model]  # forced language and model: no detection at all
    chosen = ([settings.english_model, settings.multilingual_model]
              if settings.model == AUTO_MODEL else [settings.model])
    return list(dict.fromkeys([detector_model(settings), *chosen]))


def models_identity(settings: PipelineSettings, models_dir: Path) -> str:
    """A short id of every model these settings may use (detector and transcribers): part
    of the spoken language's and the transcript's fingerprints. Raises for an unknown task
    or a model that is not here, before any file runs."""
    check_task(settings)
    ids = []
    for name in candidate_models(settings):
        try:
            ids.append(model_identity(name, models_dir))
        except ModelUnavailableError:
            if name == named_model(settings) or settings.model == AUTO_MODEL:
                raise  # a model the transcript needs: fail clearly now
            ids.append(f"missing:{name}")  # the detector of a forced model: optional
    return ids[0] if len(ids) == 1 else "+".join(ids)
