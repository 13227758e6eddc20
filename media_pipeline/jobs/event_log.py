"""Dagster's SQLite event log, keeping one connection pool per database file.

The stock storage builds a new SQLAlchemy engine (and SQLite connection) for every event it
writes and every query: about 4 ms each, and a run over 8 files writes ~340 events, 40 files
~1,700 (profiled: a tenth of a ``process`` run's wall time). SQLite locks per transaction,
not per open connection, so keeping connections open changes nothing for the other
processes (daemon, webserver, ``serve``) sharing the files. Only the run shards most
recently written keep their pools, so a long-lived process never holds a file per run.
"""

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

SQLITE_BUSY_TIMEOUT_S = 30
"""As the stock storage waits for another process's write lock."""
KEPT_SHARDS = 8
"""Run databases whose pools stay open (the index's always does)."""


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """:class:`SqliteEventLogStorage` with a connection pool per database file."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> "PooledSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(self.conn_string_for_shard(shard), pool_size=1,
                                   max_overflow=2,
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S,
                                                 "check_same_thread": False})
            self._engines[shard] = engine
            runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
            for old in runs[:max(0, len(runs) - KEPT_SHARDS)]:
                self._engines.pop(old).dispose()
            return engine

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _drop_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._drop_engines()  # the run files are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._drop_engines()
        super().dispose()
