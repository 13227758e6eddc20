"""Progress inside a step, recorded in the run's event log where the jobs API reads it."""

import time
from collections.abc import Callable

import dagster as dg

TRANSCRIBED_S = "transcribed_s"


def transcription_progress(context: dg.AssetExecutionContext, key: str,
                           min_interval_s: float = 1.0) -> Callable[[float], None]:
    """An ``on_progress(seconds_of_speech_done)`` that logs throttled AssetObservations."""
    last = [float("-inf")]

    def on_progress(done_s: float) -> None:
        now = time.monotonic()
        if now - last[0] < min_interval_s:
            return
        last[0] = now
        context.log_event(dg.AssetObservation(
            asset_key=context.asset_key, partition=key,
            metadata={TRANSCRIBED_S: round(float(done_s), 2)}))
    return on_progress
