"""A shared deployment: the Dagster instance in PostgreSQL (127.0.0.1:5432 on this machine).

Each test gets a database of its own, dropped afterwards. The machine this project is built
on runs PostgreSQL with trust authentication; elsewhere set MEDIA_PIPELINE_TEST_POSTGRES to a
server URL (without a database name).
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from media_pipeline.batch import process_paths
from media_pipeline.jobs.instance import open_instance
from media_pipeline.settings import POSTGRES_URL_ENV, PipelineSettings, runtime_settings_from_env
from media_pipeline.store.paths import DataRoot

SERVER = os.environ.get("MEDIA_PIPELINE_TEST_POSTGRES",
                        "postgresql+psycopg2://postgres@127.0.0.1:5432")


def _admin(sql: str) -> None:
    import psycopg2

    con = psycopg2.connect(SERVER.replace("+psycopg2", "") + "/postgres", connect_timeout=5)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


@pytest.fixture()
def postgres_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty database; its URL is in the environment as a deployment would set it."""
    name = f"media_pipeline_test_{uuid.uuid4().hex[:12]}"
    try:
        _admin(f"CREATE DATABASE {name}")
    except Exception as exc:  # any failure to connect: say what to do
        pytest.fail(f"PostgreSQL is not reachable at {SERVER} ({exc}); start it "
                    "(pg_ctlcluster … main start) or set MEDIA_PIPELINE_TEST_POSTGRES")
    url = f"{SERVER}/{name}"
    monkeypatch.setenv(POSTGRES_URL_ENV, url)
    try:
        yield url
    finally:
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_the_instance_lives_in_postgres_and_no_url_is_written_down(
        tmp_path: Path, postgres_url: str) -> None:
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    runtime = runtime_settings_from_env(tmp_path / "data")
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    text = (DataRoot.of(runtime).dagster_home / "dagster.yaml").read_text()
    assert POSTGRES_URL_ENV in text and postgres_url not in text


def test_a_url_without_the_psycopg2_driver_is_a_clear_error(tmp_path: Path) -> None:
    from media_pipeline.errors import ConfigurationError

    runtime = runtime_settings_from_env(
        tmp_path, env={POSTGRES_URL_ENV: "postgresql://u@db:5432/dagster"})
    with pytest.raises(ConfigurationError, match="postgresql\\+psycopg2://"):
        open_instance(DataRoot.of(runtime).dagster_home, runtime)


@pytest.mark.slow
def test_a_file_is_processed_once_against_a_postgres_instance(
        tmp_path: Path, corpus: Path, postgres_url: str) -> None:
    runtime = runtime_settings_from_env(tmp_path / "data")
    clip = corpus / "jfk" / "jfk.wav"
    [first] = process_paths([clip], runtime, PipelineSettings())
    assert first.status == "completed", first.error
    assert "ask not what your country" in Path(first.outputs["srt"]).read_text().lower()

    # Everything Dagster knows is in PostgreSQL: a second process (another machine, in a
    # deployment) opening the same URL sees the run, the partition and the lineage.
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    assert first.key in instance.get_dynamic_partitions("media")
    assert instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS])) >= 1
    record = instance.fetch_materializations(dg.AssetRecordsFilter(
        asset_key=dg.AssetKey("subtitles"), asset_partitions=[first.key or ""]), limit=1)
    assert record.records
    assert not list(DataRoot.of(runtime).dagster_home.rglob("*.db"))  # no SQLite storage beside it

    [again] = process_paths([clip], runtime, PipelineSettings())
    assert again.status == "completed" and again.cached and again.outputs == first.outputs
