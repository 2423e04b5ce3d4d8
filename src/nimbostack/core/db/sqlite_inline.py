"""An asyncio SQLAlchemy dialect that runs SQLite statements inline, on the event loop.

SQLite statements on a local WAL file take microseconds; handing each one to a worker
thread (aiosqlite) and waking the loop up when it is done costs far more than the
statement. This dialect is the standard ``sqlite3`` driver flagged as async, so
SQLAlchemy's asyncio layer runs it inside its greenlet without ever suspending.

Within one process, writers take turns on the database's in-process lock and never
meet SQLite's busy handler; a second process writing the same file can still make a
writer wait there (up to ``busy_timeout``), blocking this loop meanwhile. Clouds that
spread over several processes or hosts use PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

DRIVER = "sqlite+nimbo_inline"


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """``sqlite3``, called directly from the greenlet of an AsyncEngine."""

    driver = "nimbo_inline"
    supports_statement_cache = True
    is_async = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        # Every statement runs on the loop's thread, but pooled connections may be
        # closed from another one when the engine is disposed at exit.
        kwargs["check_same_thread"] = False
        return args, kwargs


registry.register("sqlite.nimbo_inline", __name__, "InlineSQLiteDialect")
