"""Engines and sessions for one service's database (SQLite by default, or PostgreSQL/MySQL)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from nimbostack.core.db import sqlite_inline
from nimbostack.core.errors import ConfigError

_ASYNC_DRIVERS = {
    "sqlite": sqlite_inline.DRIVER,
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+aiomysql",
}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


# "scheme://user:password@host...": everything from the first ":" after the user up to
# the last "@" is the password (passwords may hold "@" or "/" when not escaped).
_PASSWORD = re.compile(r"^(?P<head>[^:/]+://[^:/@]*:)(?P<password>.*)@", re.DOTALL)


def mask_password(url: str) -> str:
    """The URL as it may appear in an error or a log: any password replaced by ``***``."""
    return _PASSWORD.sub(r"\g<head>***@", url, count=1)


def parse_url(url: str) -> URL:
    """The URL parsed, or a ConfigError that names it without its password."""
    try:
        return make_url(url)
    except Exception as exc:
        reason = str(exc)
        found = _PASSWORD.match(url)
        if found and found["password"]:
            reason = reason.replace(found["password"], "***")
        raise ConfigError(
            f"[database] connection: cannot parse {mask_password(url)!r}: {reason}"
        ) from None


def normalize_url(url: str, *, sync: bool = False) -> str:
    """Map a user's URL (``postgresql://…``) to the driver we use (async or sync)."""
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    table = _SYNC_DRIVERS if sync else _ASYNC_DRIVERS
    if backend not in table:
        raise ConfigError(f"[database] connection: unsupported database {backend!r}")
    return parsed.set(drivername=table[backend]).render_as_string(hide_password=False)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers run beside the writer; NORMAL sync is safe with WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _no_implicit_begin(dbapi_conn: Any, _record: Any) -> None:
    # Let the "begin" events below say how each transaction starts.
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _json_loads(value: Any) -> Any:
    # SQLite hands back JSON scalars stored as numbers as numbers, not text.
    if isinstance(value, int | float):
        return value
    return orjson.loads(value)


# JSON columns (flavors, metadata, request specs) are decoded for every row a list
# returns; orjson does that several times faster than the standard library.
_JSON = {"json_serializer": _json_dumps, "json_deserializer": _json_loads}


def _sqlite_engine(url: str, echo: bool, begin: Callable[[Connection], None]) -> AsyncEngine:
    engine = create_async_engine(normalize_url(url), echo=echo, **_JSON)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    event.listen(engine.sync_engine, "connect", _no_implicit_begin)
    event.listen(engine.sync_engine, "begin", begin)
    return engine


# The write transaction the current task is in, per database, so nested calls join it.
_Joinable = tuple["Database", AsyncSession, "asyncio.Task[Any] | None"]
_current: contextvars.ContextVar[_Joinable | None] = contextvars.ContextVar(
    "nimbostack_db_session", default=None
)


class Database:
    """One service's database: ``session()`` for work that may write, ``reader()`` for reads.

    On SQLite, a deferred transaction that reads and then writes fails at once with
    "database is locked" when another writer committed in between, and writers that
    collide wait in SQLite's busy handler, which sleeps. So write transactions start with
    BEGIN IMMEDIATE and take turns on an in-process lock (first come, first served, no
    sleeping), while readers use a second engine and run beside them (WAL). Several
    processes on one SQLite file still work, through the busy timeout. On PostgreSQL or
    MySQL both methods are plain transactions.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = parse_url(url).get_backend_name() == "sqlite"
        self._write_lock: asyncio.Lock | None = None
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo, _begin_immediate)
            self.read_engine = _sqlite_engine(url, echo, _begin_deferred)
            self._write_lock = asyncio.Lock()
        else:
            self.engine = create_async_engine(
                normalize_url(url),
                echo=echo,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                **_JSON,
            )
            self.read_engine = self.engine
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction that may write: committed on success, rolled back on error.

        Opened again inside itself (by a helper the outer code calls), it joins the
        outer transaction instead of starting a second one that would wait for it.
        """
        outer = _current.get()
        task = asyncio.current_task()
        # Tasks started inside the transaction inherit the context var; only the task
        # that opened the transaction may join it.
        if outer is not None and outer[0] is self and outer[2] is task:
            yield outer[1]
            return
        async with contextlib.AsyncExitStack() as stack:
            if self._write_lock is not None:
                await stack.enter_async_context(self._write_lock)
            session = await stack.enter_async_context(self.sessions())
            await stack.enter_async_context(session.begin())
            token = _current.set((self, session, task))
            try:
                yield session
            finally:
                _current.reset(token)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction that never waits for writers."""
        async with self.read_sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
