"""Dagster's default run launcher, plus what a one-machine deployment needs from it.

- Run monitoring: a run whose worker process died (killed, out of memory, machine restart)
  is reported failed by the daemon, because this launcher can check the worker's pid.
- Cancel that always ends: termination first interrupts the run (Dagster's own cancel, which
  stops between steps and inside Python loops); a worker still alive ``cancel_grace_seconds``
  later (stuck inside a native model call) is killed and the run reported cancelled. Nothing
  it was writing is sealed, since an artifact's manifest is written last.

Dagster exposes the health check's result types only in its private modules; they are taken
from the public ``DefaultRunLauncher.check_run_worker_health`` signature instead.
"""

import contextlib
import inspect
import os
import signal
import threading
import time
import typing
from collections.abc import Mapping
from typing import Any

import dagster as dg

from media_pipeline.automation.liveness import same_process, worker_identity

GRPC_INFO_TAG = ".dagster/grpc_info"
"""Dagster's tag on runs launched through a code server (so the worker is ours to kill)."""

CheckRunHealthResult: Any = inspect.signature(
    dg.DefaultRunLauncher.check_run_worker_health).return_annotation
WorkerStatus: Any = typing.get_type_hints(CheckRunHealthResult)["status"]


class LocalRunLauncher(dg.DefaultRunLauncher):
    """DefaultRunLauncher with worker health checks and a bounded cancel."""

    def __init__(self, inst_data: Any = None, cancel_grace_seconds: float = 3.0) -> None:
        super().__init__(inst_data=inst_data)
        self.cancel_grace_seconds = float(cancel_grace_seconds)

    @classmethod
    def config_type(cls) -> Any:
        return {"cancel_grace_seconds": dg.Field(float, is_required=False, default_value=3.0)}

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> Any:
        return cls(inst_data=inst_data, **config_value)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> Any:
        worker = worker_identity(self._instance, run.run_id)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no worker pid recorded yet")
        if same_process(worker.pid, worker.seen_at):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"pid {worker.pid} is alive")
        return CheckRunHealthResult(WorkerStatus.FAILED,
                                    f"the run's process (pid {worker.pid}) died")

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        if (run.status == dg.DagsterRunStatus.STARTING
                and worker_identity(self._instance, run_id) is None):
            # Launched, no worker process yet. Dagster's own cancel would leave the run
            # CANCELING: the worker, starting, takes itself for a duplicate and exits, and
            # the code server reports the run failed. Cancelled now, the worker does not start.
            self._instance.report_run_canceled(run, "cancelled before its worker started")
            return True
        try:
            super().terminate(run_id)  # type: ignore[no-untyped-call]
        except Exception:  # the code server may be gone; the watchdog still ends the run
            self._instance.report_engine_event("interrupting the run worker failed", run)
        watchdog = threading.Thread(target=self._end_after_grace, args=(run_id,),
                                    name=f"cancel-{run_id[:8]}", daemon=True)
        watchdog.start()
        return True

    def _end_after_grace(self, run_id: str) -> None:
        deadline = time.monotonic() + self.cancel_grace_seconds
        while time.monotonic() < deadline:
            run = self._instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                return
            time.sleep(0.2)
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return
        worker = worker_identity(self._instance, run_id)
        if worker is not None and same_process(worker.pid, worker.seen_at):
            if GRPC_INFO_TAG not in run.tags or worker.pid == os.getpid():
                return  # not a worker of ours (e.g. a CLI's in-process run): leave it be
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
            for _ in range(50):
                if not same_process(worker.pid, worker.seen_at):
                    break
                time.sleep(0.1)
            message = (f"the run did not stop within {self.cancel_grace_seconds:g} s of the "
                       f"cancel; its process (pid {worker.pid}) was killed")
        else:
            message = "cancelled before its worker started"
        run = self._instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            self._instance.report_run_canceled(run, message)
