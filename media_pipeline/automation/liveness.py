"""Is a run's process still alive? Its pid from the run's engine events, checked here."""

import contextlib
import os

import dagster as dg


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the process executing ``run_id``, from its engine events (latest wins)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=False, limit=20).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = getattr(event, "event_specific_data", None)
        metadata = getattr(data, "metadata", None) or {}
        pid = metadata.get("pid")
        if pid is not None:
            with contextlib.suppress(TypeError, ValueError):
                return int(getattr(pid, "value", pid))
    return None


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
