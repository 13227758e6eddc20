"""Each pipeline setting is declared once (settings.py) and every face shows the same one:
the Dagster resource config, the command line's options, the API's job options."""

import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient

from media_pipeline.api.app import create_app
from media_pipeline.api.schemas import JobFromPath, JobOptionsIn
from media_pipeline.cli.main import build_parser
from media_pipeline.cli.options import settings_from_args
from media_pipeline.jobs.model import (
    Job,
    JobOptions,
    JobState,
    job_id_for,
    resolve_settings,
)
from media_pipeline.jobs.service import Created
from media_pipeline.resources.config import PipelineConfig, run_config_for
from media_pipeline.settings import (
    ENV_PREFIX,
    PipelineSettings,
    RuntimeSettings,
    setting_specs,
)

SPECS = {s.name: s for s in setting_specs()}
NAMES = set(SPECS)
SERVER_ONLY = {"correction_base_url", "separation_models_dir", "device", "cpu_threads",
               "compute_type", "separation_threads", "write_beside", "output_dir",
               "sidecar_formats", "overwrite", "skip_existing", "english_model",
               "multilingual_model"}
KEY = "0123456789abcdef"
# What `process` has besides the setting options.
PROCESS_OPTIONS = {"paths", "data_dir", "json", "batch_size", "no_progress", "lyrics", "retry",
                   "func", "command"}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def test_every_setting_is_declared_once_with_a_one_line_description() -> None:
    assert [s.name for s in setting_specs()] == [f.name for f in fields(PipelineSettings)]
    defaults = PipelineSettings()
    for spec in setting_specs():
        assert spec.description.strip() == spec.description and spec.description, spec.name
        assert "\n" not in spec.description, spec.name
        assert spec.default == getattr(defaults, spec.name)
        assert isinstance(spec.default, spec.type), spec.name
    assert {s.name for s in setting_specs() if not s.api} == SERVER_ONLY


def test_dagster_config_has_every_setting_with_its_default_and_description() -> None:
    assert set(PipelineConfig.model_fields) == NAMES
    for name, info in PipelineConfig.model_fields.items():
        assert info.default == SPECS[name].default and info.description == SPECS[name].description
    assert PipelineConfig().settings() == PipelineSettings()
    schema: Any = PipelineConfig.to_config_schema().as_field().config_type
    assert set(schema.fields) == NAMES
    for name, spec in SPECS.items():
        assert schema.fields[name].description == spec.description
        assert schema.fields[name].default_value == spec.default
    changed = PipelineSettings(profile="bbc", beam_size=2, preview=True, lufs_target=-14.0)
    assert PipelineConfig.from_settings(changed).settings() == changed


def test_the_generated_resource_is_injected_and_takes_run_config() -> None:
    seen: list[PipelineSettings] = []

    @dg.asset
    def probe(pipeline: PipelineConfig) -> None:
        seen.append(pipeline.settings())

    changed = PipelineSettings(profile="bbc", separation="auto", correction_enabled=True)
    resources = {"pipeline": PipelineConfig.from_settings(PipelineSettings(model="base"))}
    assert dg.materialize([probe], resources=resources).success
    assert dg.materialize([probe], resources=resources, run_config=run_config_for(changed)).success
    assert seen == [PipelineSettings(model="base"), changed]


def _process_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["process", "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_cli_has_one_option_per_setting_with_description_and_default(
        clean_env: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "2000")  # one line per option: no hyphen breaks
    text = _process_help(capsys)
    assert "pipeline settings:" in text
    for name, spec in SPECS.items():
        flag = "--" + name.replace("_", "-")
        shown = f"{flag} | --no-{name.replace('_', '-')}" if spec.type is bool else flag
        assert shown in text, name
        assert f"{spec.description} (default: {spec.default!r})" in text, name
    args = build_parser().parse_args(["process", "x.wav"])
    assert set(vars(args)) - PROCESS_OPTIONS == NAMES
    assert all(getattr(args, name) is None for name in NAMES)  # None: not given
    assert settings_from_args(args) == PipelineSettings()


def test_cli_options_override_the_environment(clean_env: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_PREFIX + "PROFILE", "bbc")
    monkeypatch.setenv(ENV_PREFIX + "PREVIEW", "1")
    monkeypatch.setenv(ENV_PREFIX + "BEAM_SIZE", "3")
    argv = ["process", "x.wav", "--no-preview", "--lufs-target", "-14", "--device", "cuda",
            "--correction-enabled", "--custom-max-cps", "17.5"]
    settings = settings_from_args(build_parser().parse_args(argv))
    assert settings == PipelineSettings(profile="bbc", preview=False, beam_size=3,
                                        lufs_target=-14.0, device="cuda",
                                        correction_enabled=True, custom_max_cps=17.5)


def test_cli_accepts_every_setting(clean_env: None) -> None:
    argv, expected = ["process", "x.wav"], dict[str, Any]()
    for name, spec in SPECS.items():
        flag = "--" + name.replace("_", "-")
        if spec.type is bool:
            argv.append(flag if not spec.default else "--no-" + flag[2:])
            expected[name] = not spec.default
        else:
            value: Any = spec.type("7") if spec.type is not str else f"v-{name}"
            argv += [flag, str(value)]
            expected[name] = value
    assert settings_from_args(build_parser().parse_args(argv)) == PipelineSettings(**expected)


def test_api_options_are_the_settings_a_client_may_choose() -> None:
    assert set(JobOptionsIn.model_fields) - {"lyrics"} == NAMES - SERVER_ONLY
    assert "lyrics" in JobOptionsIn.model_fields
    schema = JobOptionsIn.model_json_schema()["properties"]
    for name in NAMES - SERVER_ONLY:
        info = JobOptionsIn.model_fields[name]
        assert info.default is None and info.description == SPECS[name].description
        assert schema[name]["default"] == SPECS[name].default  # documented, not sent
        assert schema[name]["description"] == SPECS[name].description
    path_schema = JobFromPath.model_json_schema()["properties"]
    assert {n: path_schema[n]["default"] for n in NAMES - SERVER_ONLY} == {
        n: SPECS[n].default for n in NAMES - SERVER_ONLY}
    # A server-only setting cannot be chosen through the API.
    assert JobOptionsIn.model_validate({"device": "cuda"}).to_options() == JobOptions()
    with pytest.raises(TypeError):
        JobOptions(device="cuda")


def test_no_api_options_or_the_defaults_as_form_text_are_the_servers_defaults() -> None:
    server = PipelineSettings(profile="bbc", model="base")  # a server's own defaults
    none = JobOptionsIn().to_options()
    assert resolve_settings(server, none) == server and job_id_for(KEY, server, none) == KEY
    defaults = PipelineSettings()
    as_text = {n: str(SPECS[n].default) for n in NAMES - SERVER_ONLY}  # as a form sends them
    options = JobOptionsIn(**as_text).to_options()
    options.validate()
    assert set(options.explicit()) == NAMES - SERVER_ONLY
    assert resolve_settings(defaults, options) == defaults
    assert job_id_for(KEY, defaults, options) == KEY


def test_typed_options_travel_through_the_multipart_form(tmp_path: Path) -> None:
    received: list[JobOptions] = []

    def create(media: Path, name: str, options: JobOptions, *rest: Any) -> Created:
        received.append(options)
        return Created(Job(id=KEY, media_key=KEY, name=name, state=JobState.PENDING,
                           options=options.explicit()), True)

    with dg.instance_for_test() as instance:
        app = create_app(RuntimeSettings(data_dir=tmp_path), PipelineSettings(),
                         instance=instance, watch=False)
        app.state.media_pipeline.jobs.create = create
        client = TestClient(app)
        form = {"preview": "true", "beam_size": "3", "lufs_target": "-14", "profile": "bbc",
                "correction_enabled": "off", "custom_max_cps": "", "language": ""}
        made = client.post("/api/jobs", files={"file": ("a.wav", b"RIFF")}, data=form)
        assert made.status_code == 201, made.text
        bad = client.post("/api/jobs", files={"file": ("a.wav", b"RIFF")},
                          data={"beam_size": "many"})
        assert bad.status_code == 422 and "beam_size" in bad.json()["detail"]
        body = client.get("/openapi.json").json()["paths"]["/api/jobs"]["post"]["requestBody"]
    assert received == [JobOptions(preview=True, beam_size=3, lufs_target=-14.0,
                                   profile="bbc", correction_enabled=False, language="")]
    multipart = body["content"]["multipart/form-data"]["schema"]["properties"]
    for name in NAMES - SERVER_ONLY:
        assert multipart[name]["default"] == SPECS[name].default
        assert multipart[name]["description"] == SPECS[name].description
    assert set(multipart) == {"file", "lyrics"} | (NAMES - SERVER_ONLY)
