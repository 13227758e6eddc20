"""The instance's dagster.yaml follows the settings; the launcher watches worker pids."""

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import EngineEventData
from dagster._core.launcher.base import WorkerStatus

from media_pipeline.automation.liveness import process_alive, worker_identity
from media_pipeline.jobs.instance import MANAGED_MARKER, ensure_instance_home, open_instance
from media_pipeline.jobs.launcher import GRPC_INFO_TAG, LocalRunLauncher
from media_pipeline.settings import runtime_settings_from_env
from media_pipeline.store.paths import DataRoot


def test_limits_come_from_the_seed_environment_names(tmp_path: Path) -> None:
    env = {"MAX_MEDIA_JOBS": "3", "MEDIA_PIPELINE_MAX_CONCURRENT_RUNS": "4",
           "MEDIA_PIPELINE_CANCEL_GRACE_S": "1.5"}
    runtime = runtime_settings_from_env(tmp_path / "data", env=env)
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    config = instance.get_concurrency_config()
    assert config.run_queue_config is not None
    assert config.run_queue_config.max_concurrent_runs == 4
    assert config.pool_config.default_pool_limit == 3
    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    assert isinstance(instance.run_launcher, LocalRunLauncher)
    assert instance.run_launcher.cancel_grace_seconds == 1.5
    assert instance.run_monitoring_enabled


def test_the_file_follows_the_environment_until_taken_over(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ensure_instance_home(home, runtime_settings_from_env(tmp_path, env={}))
    text = (home / "dagster.yaml").read_text()
    assert text.startswith(MANAGED_MARKER) and "max_concurrent_runs: 2" in text
    assert "default_limit: 1" in text
    ensure_instance_home(home, runtime_settings_from_env(tmp_path, env={"MAX_MEDIA_JOBS": "2"}))
    assert "default_limit: 2" in (home / "dagster.yaml").read_text()
    hand_made = text.replace(MANAGED_MARKER, "# mine").replace("max_concurrent_runs: 2",
                                                             "max_concurrent_runs: 7")
    (home / "dagster.yaml").write_text(hand_made)
    ensure_instance_home(home, runtime_settings_from_env(tmp_path, env={}))
    assert (home / "dagster.yaml").read_text() == hand_made


@dg.op
def report_pid(context: dg.OpExecutionContext) -> int:
    return os.getpid()


@dg.job
def tiny_job() -> None:
    report_pid()


def test_a_run_whose_process_died_is_reported_failed(tmp_path: Path) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data", env={})
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    result = tiny_job.execute_in_process(instance=instance)
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    launcher = instance.run_launcher
    assert isinstance(launcher, LocalRunLauncher) and launcher.supports_check_run_worker_health
    # The in-process executor recorded this process as the run's worker: alive.
    worker = worker_identity(instance, result.run_id)
    assert worker is not None and worker.pid == os.getpid()
    assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    # A run whose recorded worker is gone is what the monitoring daemon reports failed.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    assert not process_alive(pid)
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run,
                                 EngineEventData.in_process(pid))  # as the code server does
    health = launcher.check_run_worker_health(run)
    assert health.status == WorkerStatus.FAILED and str(pid) in (health.msg or "")


def test_a_run_that_ignores_the_cancel_is_killed_after_the_grace_time(tmp_path: Path) -> None:
    env = {"MEDIA_PIPELINE_CANCEL_GRACE_S": "0.5"}
    runtime = runtime_settings_from_env(tmp_path / "data", env=env)
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    # A worker stuck in native code: it never looks at Dagster's interrupt.
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        run = instance.create_run_for_job(tiny_job, status=dg.DagsterRunStatus.STARTED,
                                          tags={GRPC_INFO_TAG: '{"host": "127.0.0.1", '
                                                               '"port": 9}'})
        instance.report_engine_event(f"Started process for run (pid: {worker.pid}).", run,
                                     EngineEventData.in_process(worker.pid))
        assert instance.run_coordinator.cancel_run(run.run_id)
        worker.wait(timeout=15)  # killed by the launcher's watchdog
        deadline = time.monotonic() + 10
        while (found := instance.get_run_by_id(run.run_id)) is not None \
                and not found.is_finished and time.monotonic() < deadline:
            time.sleep(0.1)
        assert found is not None and found.status == dg.DagsterRunStatus.CANCELED
    finally:
        if worker.poll() is None:
            worker.kill()


def test_processes_opening_a_new_instance_at_once_leave_it_usable(tmp_path: Path) -> None:
    """Concurrent first opens once stamped the schema twice; every later open then failed."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; "
              "from media_pipeline.jobs.instance import open_instance; "
              "open_instance(Path(sys.argv[1])).get_runs()")
    home = tmp_path / "dagster_home"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(home)],
                              stderr=subprocess.PIPE) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1].decode()[-300:] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    assert open_instance(home).get_runs() == []
