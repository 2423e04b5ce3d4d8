"""What compute's processes share in one process: config, database, bus, service clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.engine import Connection

from nimbostack.clients.identity import Session
from nimbostack.clients.image import ImageClient
from nimbostack.clients.placement import PlacementClient
from nimbostack.compute.credentials import Auth
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.core.auth.policy import Enforcer
from nimbostack.core.config import Config
from nimbostack.core.db import Database


def immediate_transactions(db: Database) -> Database:
    """On SQLite, start every transaction with BEGIN IMMEDIATE.

    SQLite's default (deferred) transaction reads first and fails at once with
    "database is locked" when it then wants to write after another writer committed;
    the busy timeout does not help there. Taking the write lock up front makes
    concurrent writers wait their turn instead. Other databases are left alone.
    """
    if not db.is_sqlite:
        return db

    def no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin_immediate(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    event.listen(db.engine.sync_engine, "connect", no_implicit_begin)
    event.listen(db.engine.sync_engine, "begin", begin_immediate)
    return db


class _PooledImageClient(ImageClient):
    """An image client on a shared connection pool, which its close() leaves open."""

    async def close(self) -> None:
        return None


def pooled_image_clients() -> Callable[[Session], ImageClient]:
    """A factory of image clients sharing one connection pool (made on first use).

    A new httpx client per request builds a TLS context each time, which cost an
    eighth of the CPU of a burst of boots.
    """
    pool: list[httpx.AsyncClient] = []

    def make(session: Session) -> ImageClient:
        if not pool:
            pool.append(httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=100)))
        return _PooledImageClient(session, pool[0])

    return make


@dataclass
class ComputeState:
    """Shared by the compute API, conductor and scheduler of one process.

    ``auth`` is the service user's login (placement, image); ``image_client`` builds an
    ImageClient for a session (the user's, or the service's). ``data_dir`` holds the
    files the processes share (the console token secret); None in tests without one.
    ``extra`` holds whatever a process wants to hang on the state without widening this class.
    """

    conf: Config
    db: Database
    rpc: ComputeRpc
    auth: Auth
    placement: PlacementClient
    image_client: Callable[[Session], ImageClient] = field(default_factory=pooled_image_clients)
    enforcer: Enforcer | None = None
    public_url: str = ""
    data_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
