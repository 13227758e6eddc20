"""The narration group as the Definitions load it: assets, check, job, pool, schedule."""

import dagster as dg

from media_pipeline.assets.narration import NARRATION_ASSETS
from media_pipeline.definitions import build_definitions, build_narration_definitions
from media_pipeline.partitions import NARRATION_PARTITIONS_NAME
from media_pipeline.settings import NarrationSettings, PipelineSettings, RuntimeSettings

defs = build_definitions(RuntimeSettings(), PipelineSettings())

NAMES = ["narration_chunks", "narration_audio", "narration_timings", "narration_subtitles"]


def test_narration_group_in_the_definitions() -> None:
    graph = defs.resolve_asset_graph()
    for name in NAMES:
        asset = defs.resolve_assets_def(name)
        key = dg.AssetKey(name)
        assert asset.group_names_by_key[key] == "narration"
        partitions = asset.partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)
        assert partitions.name == NARRATION_PARTITIONS_NAME
        assert asset.code_versions_by_key[key]
    assert defs.resolve_assets_def("narration_audio").op.pool == "narration"
    parents = {name: {k.to_user_string() for k in graph.get(dg.AssetKey(name)).parent_keys}
               for name in NAMES}
    assert parents == {"narration_chunks": set(), "narration_audio": {"narration_chunks"},
                       "narration_timings": {"narration_audio"},
                       "narration_subtitles": {"narration_timings"}}
    check = dg.AssetCheckKey(dg.AssetKey("narration_subtitles"), "round_trip_wer")
    assert check in graph.asset_check_keys
    job = defs.resolve_job_def("narration_job")
    assert isinstance(job.partitions_def, dg.DynamicPartitionsDefinition)
    assert job.partitions_def.name == NARRATION_PARTITIONS_NAME
    assert defs.resolve_schedule_def("narration_cleanup_schedule").cron_schedule == "0 * * * *"
    assert "narration" in (defs.resources or {})


def test_round_trip_check_can_be_left_out_of_the_job() -> None:
    runtime = RuntimeSettings()
    on = build_narration_definitions(runtime, NarrationSettings())
    off = build_narration_definitions(runtime, NarrationSettings(round_trip_check=False))
    check = dg.AssetCheckKey(dg.AssetKey("narration_subtitles"), "round_trip_wer")
    assert check in on.resolve_job_def("narration_job").asset_layer.asset_graph.asset_check_keys
    off_job = off.resolve_job_def("narration_job")
    assert check not in off_job.asset_layer.asset_graph.asset_check_keys
    assert len(NARRATION_ASSETS) == 4
