"""The pipeline settings as a Dagster resource, so a run can override them in run config.

``PipelineConfig`` is made from ``settings.setting_specs()``: one config field per pipeline
setting, with the setting's default and description (shown in the Dagster launchpad).
"""

from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Self

import dagster as dg
import pydantic

from media_pipeline.settings import PipelineSettings, setting_specs


class PipelineConfigBase(dg.ConfigurableResource):  # type: ignore[misc]
    """What ``PipelineConfig`` adds to its generated fields: the way to and from settings."""

    @classmethod
    def from_settings(cls, settings: PipelineSettings) -> Self:
        """The resource carrying exactly ``settings``."""
        return cls(**asdict(settings))

    def settings(self) -> PipelineSettings:
        """The resource's values as pipeline settings."""
        return PipelineSettings(**{s.name: getattr(self, s.name) for s in setting_specs()})


def _pipeline_config() -> type[PipelineConfigBase]:
    config_fields: dict[str, Any] = {
        s.name: (s.type, pydantic.Field(default=s.default, description=s.description))
        for s in setting_specs()}
    return pydantic.create_model(
        "PipelineConfig", __base__=PipelineConfigBase, __module__=__name__,
        __doc__="Settings that shape the subtitles (one field per pipeline setting).",
        **config_fields)


if TYPE_CHECKING:
    PipelineConfig = PipelineConfigBase
else:
    PipelineConfig = _pipeline_config()


def run_config_for(settings: PipelineSettings) -> dict[str, object]:
    """Run config that makes a run use exactly ``settings``."""
    return {"resources": {"pipeline": {"config": asdict(settings)}}}


QUIET_LOGGING: dict[str, object] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
"""Run config for runs nobody watches: the event log keeps everything, while the console
(the code server's log file under ``serve``) gets warnings and errors only, not about 4 KB of
debug lines per file."""


def quiet_run_config(settings: PipelineSettings | None = None) -> dict[str, object]:
    """Run config for a sensor's or schedule's run: quiet console, ``settings`` if given."""
    return {**QUIET_LOGGING, **(run_config_for(settings) if settings is not None else {})}
