"""Asset checks on ``subtitles``: every style-guide rule of the run's profile, per cue.

One op checks all rules over the exported SRT of every partition in the run; each rule is
its own check result whose metadata lists the offending cues (partition, cue number,
times, text, measured value and limit).
"""

from typing import Any

import dagster as dg

from media_pipeline.assets.export import subtitles
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.stages.refining import profile_for
from media_pipeline.subtitles.rules import RULE_DESCRIPTIONS, RULES, check_srt_file

MAX_LISTED = 50

RULE_SPECS = [dg.AssetCheckSpec(rule, asset=subtitles, description=RULE_DESCRIPTIONS[rule])
              for rule in RULES]


def _keys(context: dg.AssetCheckExecutionContext) -> list[str]:
    try:
        return list(context.partition_keys)
    except Exception:  # run without partitions (e.g. launched from the UI): check them all
        return list(context.instance.get_dynamic_partitions(MEDIA_PARTITIONS_NAME))


@dg.multi_asset_check(specs=RULE_SPECS, name="subtitle_rules",
                      description="The run's segmentation profile rules, cue by cue.")
def subtitle_rules(context: dg.AssetCheckExecutionContext, pipeline: PipelineConfig,
                   storage: StorageResource) -> Any:
    settings = pipeline.settings()
    profile = profile_for(settings)
    found: dict[str, list[dict[str, object]]] = {rule: [] for rule in RULES}
    checked = cues = 0
    unreadable: list[dict[str, object]] = []
    for key in _keys(context):
        fps = storage.fingerprints(settings, key)
        manifest = storage.artifacts.manifest(key, "subtitles", fps["subtitles"])
        if manifest is None or "srt" not in manifest["files"]:
            continue
        srt = storage.artifacts.find(key, "subtitles", fps["subtitles"], "srt")
        try:
            count, violations = check_srt_file(srt, profile.limits)
        except Exception as exc:  # a check must report, never fail the run
            unreadable.append({"partition": key, "error": f"{type(exc).__name__}: {exc}"[:200]})
            continue
        checked += 1
        cues += count
        for rule, items in violations.items():
            found[rule].extend({"partition": key, **v.to_dict()} for v in items)
    for rule in RULES:
        bad = found[rule]
        yield dg.AssetCheckResult(
            check_name=rule, asset_key=subtitles.key, passed=not bad and not unreadable,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"profile": profile.name, "partitions_checked": checked,
                      "cues_checked": cues, "offending_cues": len(bad),
                      "offenders": dg.MetadataValue.json(bad[:MAX_LISTED]),
                      "unreadable": dg.MetadataValue.json(unreadable)})
