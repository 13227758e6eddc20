"""Scale-out with real hosts: two ``media-pipeline worker`` processes in two network
namespaces reach PostgreSQL and RabbitMQ only over their veth addresses; ``serve`` and its
inbox sensor hand them a batch; one is killed with SIGKILL in the middle of the next.

Real components throughout: PostgreSQL instance, RabbitMQ, Dagster's Celery executor,
faster-whisper tiny.en (its loads are counted per worker process).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.cli import cluster
from media_pipeline.cli.worker import build_app, read_worker_stats
from media_pipeline.jobs.instance import open_instance
from media_pipeline.jobs.processes import port_open
from media_pipeline.partitions import ACTIVE
from media_pipeline.settings import ENV_PREFIX, POSTGRES_URL_ENV, runtime_settings_from_env
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.cli.netns import Forwarder, Host, netns_permitted

pytestmark = pytest.mark.slow
BROKER_ENV = ENV_PREFIX + "CELERY_BROKER_URL"
SETTINGS = {ENV_PREFIX + "MODEL": "tiny.en", ENV_PREFIX + "LANGUAGE": "en",
            ENV_PREFIX + "SPEAKERS": "off", ENV_PREFIX + "INBOX_SETTLE_S": "1"}


@dataclass
class Cluster:
    data_dir: Path
    state: dict[str, Any]
    hosts: list[Host]
    workers: dict[str, int] = field(default_factory=dict)

    @property
    def broker(self) -> str:
        return str(self.state["values"][BROKER_ENV])

    def instance(self) -> dg.DagsterInstance:
        runtime = runtime_settings_from_env(self.data_dir)
        return open_instance(DataRoot.of(runtime).dagster_home, runtime)

    def statuses(self) -> dict[str, str]:
        return {row.key: row.status for row in DataRoot(self.data_dir).library().rows()}


def _clips(inbox: Path, corpus: Path, names: list[str], first_offset_ms: int) -> None:
    """Distinct short clips of jfk.wav (each its own partition)."""
    for i, name in enumerate(names):
        start_s = (first_offset_ms + 37 * i) / 1000
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-ss",
                        f"{start_s:.3f}", "-t", "1.5", "-i", str(corpus / "jfk" / "jfk.wav"),
                        str(inbox / f"{name}.wav")], check=True)


def _start_worker(c: Cluster, host: Host, name: str) -> None:
    """A worker in ``host``'s namespace, told the veth gateway's address for both services."""
    values = c.state["values"]
    env = {**cluster.cluster_env(c.data_dir, c.state),
           POSTGRES_URL_ENV: values[POSTGRES_URL_ENV].replace("127.0.0.1", host.gateway),
           BROKER_ENV: values[BROKER_ENV].replace("127.0.0.1", host.gateway)}
    exe = str(Path(sys.executable).parent / "media-pipeline")
    (c.data_dir / "logs").mkdir(parents=True, exist_ok=True)
    log = (c.data_dir / "logs" / f"{name}.log").open("ab")
    proc = subprocess.Popen(host.command([exe, "worker", "--data-dir", str(c.data_dir),
                                          "--name", name]), env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    c.workers[name] = proc.pid
    c.state["workers"].append(proc.pid)


def _unreachable_from(host: Host, address: str, port: int) -> bool:
    code = (f"import socket,sys\ntry: socket.create_connection(({address!r}, {port}), "
            "timeout=2)\nexcept OSError: sys.exit(0)\nsys.exit(1)")
    done = subprocess.run(host.command([sys.executable, "-c", code]), check=False)
    return done.returncode == 0


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Iterator[Cluster]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root; this test runs two worker hosts in them")
    why = netns_permitted()
    if why:
        pytest.skip(why)
    if not (port_open("127.0.0.1", 5432) and port_open("127.0.0.1", 5672)):
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 and RabbitMQ on 127.0.0.1:5672")
    data_dir = tmp_path_factory.mktemp("cluster") / "data"
    tag = f"mp{os.getpid() % 100000}"
    hosts = [Host(f"{tag}a", 200 + os.getpid() % 25), Host(f"{tag}b", 230 + os.getpid() % 25)]
    forwarders: list[Forwarder] = []
    with pytest.MonkeyPatch.context() as mp:
        for key, value in SETTINGS.items():
            mp.setenv(key, value)
        state = cluster.prepare(data_dir, 2, None, cluster.ADMIN_URL, batch_size=25)
        c = Cluster(data_dir, state, hosts)
        try:
            for host in hosts:
                host.create()
                forwarders += [Forwarder((host.gateway, port), ("127.0.0.1", port)).start()
                               for port in (5432, 5672)]
            assert _unreachable_from(hosts[0], "127.0.0.1", 5432)  # only the veth way
            for host, name in zip(hosts, ("w1", "w2"), strict=True):
                _start_worker(c, host, name)
            cluster._save(data_dir, state)
            cluster._wait(lambda: cluster.workers_ready(c.broker, 2), 120, "2 workers")
            _clips(data_dir / "inbox", corpus, [f"a{i:02d}" for i in range(50)], 0)
            cluster.start_serve(data_dir, state)
            yield c
        finally:
            cluster.down(data_dir)
            left = cluster.processes_of(data_dir)  # cluster-down leaves no process behind
            for f in forwarders:
                f.stop()
            for host in hosts:
                host.remove()
            assert not left, f"processes left running for {data_dir}: {left}"


def _wait_completed(c: Cluster, count: int, timeout_s: float) -> dict[str, str]:
    """The library's statuses once ``count`` files are completed and no run is left in
    progress (a library row is written before its run records the materialization)."""
    deadline = time.monotonic() + timeout_s
    while True:
        statuses = c.statuses() if DataRoot(c.data_dir).library_path.exists() else {}
        done = [k for k, s in statuses.items() if s == "completed"]
        if len(done) >= count and not c.instance().get_runs(dg.RunsFilter(statuses=ACTIVE)):
            return statuses
        if time.monotonic() > deadline:
            return statuses
        time.sleep(2)


def _materializations(instance: dg.DagsterInstance, asset: str, key: str) -> list[Any]:
    found = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]),
        limit=10).records
    return list(found)


def _assert_each_done_once(c: Cluster, keys: list[str]) -> None:
    instance = c.instance()
    for key in keys:
        entries = _materializations(instance, "library_entry", key)
        transcripts = _materializations(instance, "transcript", key)
        assert len(entries) == 1 and len(transcripts) == 1, key  # once, not twice
        assert entries[0].run_id == transcripts[0].run_id  # lineage: one run made both
    for name in ("media",):  # every pool slot was given back
        info = instance.event_log_storage.get_concurrency_info(name)
        assert info.active_slot_count == 0 and info.pending_step_count == 0, info


def test_two_worker_hosts_complete_a_batch_each_file_once(two_hosts: Cluster) -> None:
    c = two_hosts
    statuses = _wait_completed(c, 50, 480)
    assert sorted(statuses.values()) == ["completed"] * 50
    _assert_each_done_once(c, list(statuses))
    stats = read_worker_stats(c.data_dir)
    by_worker = {s["hostname"]: s for s in stats}
    assert set(by_worker) == {"w1", "w2"} and all(s["tasks"] > 0 for s in stats)
    # The model stays loaded in each worker process: at most one load per process.
    assert all(s["whisper_loads"] <= 1 for s in stats), stats
    assert sum(s["whisper_loads"] for s in stats) >= 1


def _active_on(broker: str, worker: str) -> bool:
    app = build_app(broker)
    try:
        active = app.control.inspect(timeout=1.0).active() or {}
    finally:
        app.close()
    return any(node.startswith(f"{worker}@") and tasks for node, tasks in active.items())


def test_a_worker_killed_mid_batch_loses_no_file(two_hosts: Cluster, corpus: Path) -> None:
    c = two_hosts
    before = set(c.statuses())
    inbox = c.data_dir / "inbox"
    _clips(inbox, corpus, [f"b{i:02d}" for i in range(8)], 5000)
    deadline = time.monotonic() + 120
    while not _active_on(c.broker, "w1"):
        assert time.monotonic() < deadline, "w1 never took a step of the new batch"
        time.sleep(0.3)
    os.killpg(c.workers["w1"], signal.SIGKILL)  # the host dies in the middle of a step
    statuses = _wait_completed(c, len(before) + 8, 240)
    new = [k for k in statuses if k not in before]
    assert len(new) == 8 and all(statuses[k] == "completed" for k in new), statuses
    _assert_each_done_once(c, new)
    failed = c.instance().get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert not failed
