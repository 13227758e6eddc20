"""Group ``narration``: text → chunks → audio → timings → SRT/VTT, one partition per request.

Thin wrappers over ``media_pipeline.stages.narration``: each asset skips work whose sealed
output exists, turns a ``MediaPipelineError`` into a ``dg.Failure`` carrying seed 003's user
message, and reports metadata. ``narration_audio`` runs in pool ``narration`` (one at a time by
default) and reports per-chunk progress as observations while it synthesizes.
"""

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from media_pipeline.errors import MediaPipelineError
from media_pipeline.partitions import narration_partitions
from media_pipeline.resources.narration import NarrationResource
from media_pipeline.resources.tts_providers import retry_sleep
from media_pipeline.stages import narration as steps
from media_pipeline.store.narration import NarrationStore
from media_pipeline.tts.errors import UNEXPECTED_MESSAGE

NARRATION_POOL = "narration"
# Upstream first: recomputing one asset unseals everything after it (and the round trip).
STAGES = ("narration_chunks", "narration_audio", "narration_timings", "narration_subtitles")
COMMON: dict[str, Any] = {"partitions_def": narration_partitions, "group_name": "narration",
                          "code_version": "1"}


def _metadata(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, bool | int | float | str) else dg.MetadataValue.json(v)
            for k, v in info.items() if v is not None}


def _unseal_from(store: NarrationStore, key: str, name: str) -> None:
    """Recomputing stage ``name`` invalidates it, every later stage and the round trip."""
    for later in STAGES[STAGES.index(name):]:
        store.path(key, f"{later}.done.json").unlink(missing_ok=True)
    store.path(key, "round_trip.json").unlink(missing_ok=True)


def _materialize(context: dg.AssetExecutionContext, store: NarrationStore, outputs: list[Path],
                 compute: Callable[[], dict[str, Any]]) -> dg.MaterializeResult:
    """Run ``compute`` unless this asset's seal and ``outputs`` exist; seal it afterwards."""
    key, name = context.partition_key, context.asset_key.path[-1]
    seal = f"{name}.done.json"
    info = store.read_json(key, seal)
    cached = info is not None and all(path.exists() for path in outputs)
    if not cached:
        _unseal_from(store, key, name)
        started = time.perf_counter()
        try:
            info = compute()
        except MediaPipelineError as exc:
            raise dg.Failure(description=exc.user_message, allow_retries=False,
                             metadata={"key": key, "error": exc.user_message}) from exc
        except Exception as exc:  # the traceback stays in the event log, never in the job
            raise dg.Failure(description=UNEXPECTED_MESSAGE, allow_retries=False,
                             metadata={"key": key, "error": UNEXPECTED_MESSAGE}) from exc
        info = {**info, "seconds": round(time.perf_counter() - started, 3), "at": time.time()}
        store.write_json(key, seal, info)
    assert info is not None
    return dg.MaterializeResult(metadata={**_metadata(info), "cached": cached})


@dg.asset(kinds={"python"}, **COMMON)
def narration_chunks(context: dg.AssetExecutionContext,
                     narration: NarrationResource) -> dg.MaterializeResult:
    """Sentence-aware chunks of the request's text, sized to the provider's limit."""
    store, key = narration.store(), context.partition_key

    def compute() -> dict[str, Any]:
        provider = narration.provider(store.load_request(key).provider)
        return steps.chunks_step(store, key, provider)
    return _materialize(context, store, [store.path(key, "chunks.json")], compute)


@dg.asset(deps=[narration_chunks], pool=NARRATION_POOL, kinds={"mp3"}, **COMMON)
def narration_audio(context: dg.AssetExecutionContext,
                    narration: NarrationResource) -> dg.MaterializeResult:
    """Every chunk synthesized (rate limits retried 1/2/4 s), stitched into ``<key>.mp3``."""
    store, key = narration.store(), context.partition_key

    def on_progress(done: int, total: int) -> None:
        store.write_progress(key, context.run_id, done, total)
        context.log_event(dg.AssetObservation(
            asset_key=context.asset_key, partition=key,
            metadata={"completed_chunks": done, "total_chunks": total,
                      "progress": round(done / total, 4) if total else 0.0}))

    def compute() -> dict[str, Any]:
        provider = narration.provider(store.load_request(key).provider)
        return steps.audio_step(store, key, provider, on_progress, retry_sleep, context.log)
    outputs = [store.path(key, "synthesis.json"), store.audio_path(key)]
    return _materialize(context, store, outputs, compute)


@dg.asset(deps=[narration_audio], kinds={"json"}, **COMMON)
def narration_timings(context: dg.AssetExecutionContext,
                      narration: NarrationResource) -> dg.MaterializeResult:
    """Word (or estimated sentence) timings on the MP3's timeline, as the API serves them."""
    store, key = narration.store(), context.partition_key
    return _materialize(context, store, [store.path(key, "timings.json")],
                        lambda: steps.timings_step(store, key))


@dg.asset(deps=[narration_timings], kinds={"srt"}, **COMMON)
def narration_subtitles(context: dg.AssetExecutionContext,
                        narration: NarrationResource) -> dg.MaterializeResult:
    """SRT and VTT cut from the merged word timings by the subtitle segmentation."""
    store, key = narration.store(), context.partition_key
    outputs = list(steps.subtitle_paths(store, key).values())
    return _materialize(context, store, outputs,
                        lambda: steps.subtitles_step(store, key, narration.profile))


def _round_trip_wer(context: dg.AssetCheckExecutionContext,
                         narration: NarrationResource) -> dg.AssetCheckResult:
    """Transcribe the narration with the project's own Whisper; fail when WER > 10%."""
    store, key = narration.store(), context.partition_key
    result = store.read_json(key, "round_trip.json")
    if result is None or result.get("model") != narration.round_trip_model:
        result = steps.round_trip_step(store, key, narration.transcriber(),
                                       narration.round_trip_model, narration.max_round_trip_wer)
    return dg.AssetCheckResult(
        passed=float(result["wer"]) <= narration.max_round_trip_wer,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"wer": float(result["wer"]), "max_wer": narration.max_round_trip_wer,
                  "reference_words": int(result["reference_words"]),
                  "model": narration.round_trip_model,
                  "hypothesis": dg.MetadataValue.text(str(result["hypothesis"]))})


with warnings.catch_warnings():  # a partitioned check is a Dagster "preview" feature
    warnings.simplefilter("ignore", dg.PreviewWarning)
    narration_round_trip = dg.asset_check(asset=narration_subtitles, name="round_trip_wer",
                                          partitions_def=narration_partitions)(_round_trip_wer)


NARRATION_ASSETS = [narration_chunks, narration_audio, narration_timings, narration_subtitles]
