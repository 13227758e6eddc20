"""The Definitions load, and the asset table agrees with Dagster's own asset graph."""

import dagster as dg

from media_pipeline.definitions import SUBTITLE_ASSETS, build_definitions
from media_pipeline.jobs.model import STEP_STATE, JobState
from media_pipeline.partitions import NARRATION_JOB, SUBTITLES_JOB
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.fingerprints import ASSETS, CODE_VERSIONS

DEFS = build_definitions(RuntimeSettings(), PipelineSettings())


def test_the_table_names_every_subtitle_asset_in_graph_order() -> None:
    assert list(ASSETS) == [a.key.to_user_string() for a in SUBTITLE_ASSETS]
    for name, facts in ASSETS.items():
        assert all(list(ASSETS).index(u) < list(ASSETS).index(name) for u in facts.upstream)


def test_dagster_deps_and_code_versions_come_from_the_table() -> None:
    graph = DEFS.resolve_asset_graph()
    for name, facts in ASSETS.items():
        node = graph.get(dg.AssetKey(name))
        parents = {k.to_user_string() for k in node.parent_keys}
        assert parents == set(facts.upstream), name
        assert node.code_version == facts.code_version == CODE_VERSIONS[name], name
        assert node.group_name == "subtitles"


def test_every_setting_the_table_names_exists() -> None:
    known = set(PipelineSettings.__dataclass_fields__)
    for name, facts in ASSETS.items():
        assert set(facts.settings) <= known, name


def test_job_states_come_from_the_table() -> None:
    assert set(STEP_STATE) == set(ASSETS)
    assert STEP_STATE["transcript"] == JobState.TRANSCRIBING
    assert {s for s in STEP_STATE.values()} <= set(JobState)


def test_jobs_sensors_schedules_and_checks_load() -> None:
    assert DEFS.resolve_job_def(SUBTITLES_JOB).name == SUBTITLES_JOB
    assert DEFS.resolve_job_def(NARRATION_JOB).name == NARRATION_JOB
    assert {s.name for s in DEFS.sensors or []} == {"inbox_sensor", "repair_pending",
                                                    "run_retention"}
    assert {s.name for s in DEFS.schedules or []} == {"reprocess_stale",
                                                       "narration_cleanup_schedule"}
    checks = DEFS.resolve_asset_graph().asset_check_keys
    assert {k.name for k in checks} >= {"line_length", "cps", "round_trip_wer"}
