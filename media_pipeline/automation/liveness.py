"""Is a run's worker still the process that started it? pid plus start time, not pid alone.

A pid is reused: after a restart (of `serve` or of the machine) the pid recorded for a dead
run's worker may belong to a new, unrelated process, which a bare ``kill(pid, 0)`` takes for
the worker. The worker records its pid in an engine event right after it starts, so a process
with that pid that started *after* the event was written is someone else.

The start time is field 22 of ``/proc/<pid>/stat`` (clock ticks after boot) plus the boot
time (``btime`` in ``/proc/stat``); where ``/proc`` is missing the check falls back to the pid.
"""

import contextlib
import os
from dataclasses import dataclass

import dagster as dg

#: Slack between a process's start time (1 s resolution of ``btime``) and its first event.
START_SLACK_S = 2.0


@dataclass(frozen=True)
class WorkerIdentity:
    pid: int
    seen_at: float
    """When the worker recorded its pid (epoch seconds): it had started by then."""


def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or None when it cannot be told."""
    boot = _boot_time()
    if boot is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 overall; fields[0] is field 3 (state)
    except (OSError, ValueError, IndexError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def same_process(pid: int, seen_at: float) -> bool:
    """True while ``pid`` is alive and is the process that existed at ``seen_at``."""
    if not process_alive(pid):
        return False
    started = process_start_time(pid)
    return started is None or started <= seen_at + START_SLACK_S


def worker_identity(instance: dg.DagsterInstance, run_id: str) -> WorkerIdentity | None:
    """The pid the run's worker recorded (latest engine event with one) and when.

    Under the Celery executor the run's own engine events (a step submitted, a step taken by
    a worker) soon bury the one with the pid: then the first events are looked at too.
    """
    records = [*instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=False, limit=20).records,
        *instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=True, limit=20).records]
    for record in records:
        entry = record.event_log_entry
        data = getattr(entry.dagster_event, "event_specific_data", None)
        pid = (getattr(data, "metadata", None) or {}).get("pid")
        if pid is not None:
            with contextlib.suppress(TypeError, ValueError):
                return WorkerIdentity(int(getattr(pid, "value", pid)), float(entry.timestamp))
    return None


def worker_alive(instance: dg.DagsterInstance, run_id: str) -> bool:
    """True while the worker that recorded its pid for ``run_id`` is still that process.

    False when no pid was recorded (the worker never started).
    """
    identity = worker_identity(instance, run_id)
    return identity is not None and same_process(identity.pid, identity.seen_at)


def process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
