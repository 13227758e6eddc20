"""Scale-out on Dagster's Celery executor: which queue each step goes to, and the Celery
settings that the runs (which send steps) and ``media-pipeline worker`` (which runs them)
must share.

A step runs inside a Celery worker's pool process (dagster-celery's ``execute_plan`` task
calls ``execute_plan_iterator`` in that process), so a model loaded there by
``asr.models.load_whisper`` stays loaded for the next step the process takes.
"""

from collections.abc import Iterable
from typing import Any

CELERY_QUEUE_TAG = "dagster-celery/queue"
"""The op tag dagster-celery reads a step's queue from."""
DEFAULT_QUEUE = "default"
WHISPER_QUEUE = "whisper"
"""Recognition and language detection: workers that have the Whisper models."""
DEMUCS_QUEUE = "demucs"
"""Vocal isolation: workers with the memory for Demucs."""
QUEUES = (DEFAULT_QUEUE, WHISPER_QUEUE, DEMUCS_QUEUE)
QUEUE_BY_KIND = {"whisper": WHISPER_QUEUE, "demucs": DEMUCS_QUEUE}


def queue_for(kinds: Iterable[str] | None) -> str:
    """The queue of a step whose asset has these ``kinds`` (its compute kinds)."""
    for kind in sorted(kinds or ()):
        if kind in QUEUE_BY_KIND:
            return QUEUE_BY_KIND[kind]
    return DEFAULT_QUEUE


def queue_tags(kinds: Iterable[str] | None) -> dict[str, str]:
    """Op tags that route a step to :func:`queue_for` its kinds (ignored in-process)."""
    return {CELERY_QUEUE_TAG: queue_for(kinds)}


def result_backend(broker_url: str) -> str:
    """Where step results go back to the run: Redis itself, else RabbitMQ's reply queues."""
    return broker_url if broker_url.startswith(("redis://", "rediss://")) else "rpc://"


def celery_settings() -> dict[str, Any]:
    """Celery settings (``config_source``) of both the runs and the workers.

    Acks late and rejected on a lost worker: a step whose worker died (kill -9, out of
    memory, host gone) goes back to the queue and another worker runs it, instead of the
    run waiting for it for ever. One task at a time per process (prefetch 1), so a long
    transcription never holds a second step that an idle worker could take.
    """
    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": DEFAULT_QUEUE,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }


def executor_config(broker_url: str) -> dict[str, Any]:
    """The ``celery_executor`` config for a broker (``amqp://…`` or ``redis://…``)."""
    return {"broker": broker_url, "backend": result_backend(broker_url),
            "config_source": celery_settings()}
