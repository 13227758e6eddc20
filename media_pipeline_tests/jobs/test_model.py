"""Job ids, options, states and error messages (no Dagster run needed)."""

import pytest

from media_pipeline.jobs.derive import sanitize
from media_pipeline.jobs.model import (
    JobOptions,
    JobState,
    job_id_for,
    resolve_settings,
    settings_from_tag,
    settings_to_tag,
    state_of_step,
    valid_job_id,
)
from media_pipeline.settings import PipelineSettings

KEY = "0123456789abcdef"


def test_default_options_make_the_media_key_the_job_id() -> None:
    defaults = PipelineSettings()
    assert job_id_for(KEY, defaults, JobOptions()) == KEY
    # Naming the default explicitly is the same job.
    assert job_id_for(KEY, defaults, JobOptions(profile=defaults.profile)) == KEY


def test_other_options_add_a_stable_hash() -> None:
    defaults = PipelineSettings()
    bbc = job_id_for(KEY, defaults, JobOptions(profile="bbc"))
    assert bbc.startswith(KEY + "-") and len(bbc) == 25 and valid_job_id(bbc)
    assert bbc == job_id_for(KEY, defaults, JobOptions(profile="bbc"))
    assert bbc != job_id_for(KEY, defaults, JobOptions(profile="bbc", language="en"))
    assert job_id_for(KEY, defaults, JobOptions(lyrics="la la")) != KEY


def test_options_resolve_into_settings_and_round_trip_through_a_tag() -> None:
    defaults = PipelineSettings()
    settings = resolve_settings(defaults, JobOptions(profile="bbc", preview=True,
                                                     lyrics="not a setting"))
    assert settings.profile == "bbc" and settings.preview is True
    assert settings_from_tag(settings_to_tag(settings), defaults) == settings


@pytest.mark.parametrize("options", [JobOptions(language="english!"),
                                     JobOptions(separation="maybe"), JobOptions(model=" ")])
def test_impossible_options_are_refused(options: JobOptions) -> None:
    with pytest.raises(ValueError):
        options.validate()


def test_states_follow_the_step_being_executed() -> None:
    assert state_of_step("speech_audio") == JobState.PREPROCESSING
    assert state_of_step("transcript") == JobState.TRANSCRIBING
    assert state_of_step("edited_cues") == JobState.REFINING
    assert state_of_step("subtitles") == JobState.EXPORTING
    assert state_of_step("preview") == JobState.RENDERING_PREVIEW
    assert not JobState.EXPORTING.finished and JobState.CANCELLED.finished


def test_errors_shown_to_users_are_one_short_line_without_paths_or_secrets() -> None:
    text = ("dagster._core.errors.DagsterExecutionStepExecutionError: could not open "
            "/home/me/secret/dir/file.wav with token=abc123\nTraceback (most recent call)")
    assert sanitize(text) == "could not open file.wav with token=***"
    assert len(sanitize("x" * 1000)) <= 240


def test_options_carry_any_api_setting_typed_and_immutable() -> None:
    defaults = PipelineSettings()
    options = JobOptions(beam_size=3, lufs_target=-14, correction_enabled=True)
    assert options.beam_size == 3 and options.lufs_target == -14.0 and options.model is None
    assert options.explicit() == {"beam_size": 3, "lufs_target": -14.0,
                                  "correction_enabled": True}
    assert resolve_settings(defaults, options).beam_size == 3
    assert job_id_for(KEY, defaults, options) != KEY
    assert job_id_for(KEY, defaults, JobOptions(beam_size=defaults.beam_size)) == KEY
    with pytest.raises(ValueError, match="beam_size"):
        JobOptions(beam_size="3").validate()
    with pytest.raises(TypeError):
        JobOptions(cpu_threads=4)  # a server-only setting is not a job option
    with pytest.raises(AttributeError):
        options.beam_size = 4  # type: ignore[misc]
