"""Run narrations without a daemon: in this process, on the data root's Dagster instance.

``narrate`` (the CLI) creates the job and runs it to the end; ``submit`` (the API) runs it
on a background worker thread. Either way the run is an ordinary ``narration_job`` run for
the narration's partition, so the UI shows its steps, progress observations and lineage, and
the ``narration`` pool keeps to one synthesis at a time across every process on the instance.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import dagster as dg

from media_pipeline.assets.narration import NARRATION_POOL
from media_pipeline.definitions import build_narration_definitions
from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.narration import (
    NarrationJob,
    NarrationJobs,
    NarrationStatus,
    run_tags,
)
from media_pipeline.partitions import NARRATION_JOB
from media_pipeline.resources.narration import NarrationResource, provider_config
from media_pipeline.settings import NarrationSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot

logger = logging.getLogger(__name__)

# The event log keeps everything; a terminal running `narrate` gets only our own output.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def apply_pool_limit(instance: dg.DagsterInstance, limit: int) -> None:
    """Set the ``narration`` pool to ``limit`` slots (0 leaves the instance's setting)."""
    storage = instance.event_log_storage
    if limit <= 0 or not storage.supports_global_concurrency_limits:
        return
    known = NARRATION_POOL in storage.get_concurrency_keys()
    if known and storage.get_concurrency_info(NARRATION_POOL).slot_count == limit:
        return
    storage.set_concurrency_slots(NARRATION_POOL, limit)


@dataclass
class NarrationService:
    """Narration jobs for one data root: create, run, read, clean up."""

    runtime: RuntimeSettings
    settings: NarrationSettings
    launch: Callable[[str], None] | None = None
    """Starts a run for a key elsewhere (the API's queue submitter); None: worker threads."""
    workers: int = 2
    _instance: dg.DagsterInstance | None = field(default=None, init=False, repr=False)
    _executor: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _inflight: dict[str, Future[bool]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.definitions = build_narration_definitions(self.runtime, self.settings)
        resource = NarrationResource.from_settings(self.runtime, self.settings)
        self.store = resource.store()

    @property
    def instance(self) -> dg.DagsterInstance:
        with self._lock:
            if self._instance is None:
                self._instance = open_instance(DataRoot.of(self.runtime).dagster_home, self.runtime)
            return self._instance

    @property
    def jobs(self) -> NarrationJobs:
        return NarrationJobs(self.instance, self.store, self.settings,
                             provider_config(self.settings))

    def execute(self, key: str) -> bool:
        """One in-process run of ``narration_job`` for partition ``key``; True on success."""
        instance = self.instance
        self.jobs.reap_orphaned_runs()
        apply_pool_limit(instance, self.settings.pool_limit)
        job = self.definitions.resolve_job_def(NARRATION_JOB)
        result = job.execute_in_process(instance=instance, partition_key=key, tags=run_tags(),
                                        run_config=QUIET_RUN_CONFIG, raise_on_error=False)
        return result.success

    def narrate(self, text: str, voice: str | None = None, speed: float | None = None,
                provider: str | None = None) -> NarrationJob:
        """Create (or find) the narration and run it here until it completes or fails."""
        jobs = self.jobs
        job, _ = jobs.create_job(text, voice, speed, provider)
        if job.status != NarrationStatus.COMPLETED:
            self.execute(job.id)
        return jobs.get_job_status(job.id)

    def create(self, text: str, voice: str | None = None, speed: float | None = None,
               provider: str | None = None) -> tuple[NarrationJob, bool]:
        """Create (or find) the narration and start it in the background unless it is done
        or already running; returns the job and whether it is new."""
        jobs = self.jobs
        job, created = jobs.create_job(text, voice, speed, provider)
        if job.status != NarrationStatus.COMPLETED and not jobs.is_running(job.id):
            self.start(job.id)
        return job, created

    def start(self, key: str) -> None:
        """Start a run for ``key``: through ``launch`` (the queue) when it can, else here.

        The ``narration`` pool gets its limit first: a run the daemon launches takes its slots
        from the instance, which otherwise gives an unknown pool the default limit (that of
        the ``media`` pool, MAX_MEDIA_JOBS), not ``pool_limit``.
        """
        if self.launch is not None:
            try:
                apply_pool_limit(self.instance, self.settings.pool_limit)
                self.launch(key)
                return
            except MediaPipelineError as exc:
                logger.warning("narration %s runs in this process: %s", key, exc.user_message)
        self.submit(key)

    def submit(self, key: str) -> Future[bool]:
        """Run ``key`` on a worker thread (once at a time per key in this process)."""
        with self._lock:
            running = self._inflight.get(key)
            if running is not None and not running.done():
                return running
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, "narration")
            future = self._executor.submit(self.execute, key)
            self._inflight[key] = future
        return future

    def close(self) -> None:
        """Wait for background runs and release the worker threads."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
