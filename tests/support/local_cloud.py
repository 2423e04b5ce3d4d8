"""Identity (and image) in this process on a loop of their own: a fresh cloud per test module.

Tests of one or two services need no `nimbostack up` subprocess whose state carries
from module to module. ``LocalCloud`` starts the real services through their
skeleton on a new data directory and database, on ports they bind themselves (0),
bootstrapped as `nimbostack up` does (admin, demo and the service account, and a
catalog naming the services it runs). They run on an asyncio loop in a thread, so
plain (synchronous) tests can call them over HTTP, and the functional suite's loop
watch times their callbacks as it does for any service run in-process.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from nimbostack.cmd.cloud import secret_file
from nimbostack.cmd.services import ServiceSpec, in_up
from nimbostack.core.config import Config, load
from nimbostack.core.runtime import Runtime
from nimbostack.core.service import Service
from nimbostack.identity.bootstrap import Account, CatalogEntry, bootstrap
from nimbostack.identity.service import IdentityService
from nimbostack.image.service import ImageService  # noqa: F401  (registers [image] options)
from tests.support.cloud import CloudAccess
from tests.support.postgres import PostgresCluster

T = TypeVar("T")
START_TIMEOUT = 120.0


class ServiceLoop:
    """An asyncio event loop running in a thread of its own until ``close``."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = START_TIMEOUT) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()


@dataclass
class LocalCloud(CloudAccess):
    """Some services of the cloud, started by ``start`` and ended by ``stop``."""

    data_dir: Path
    runtime: Runtime
    ports: dict[str, int] = field(default_factory=dict)
    services: list[Service[Any]] = field(default_factory=list)
    _tokens: dict[str, str] = field(default_factory=dict)
    _loop: ServiceLoop | None = None

    @classmethod
    def start(
        cls,
        data_dir: Path,
        names: tuple[str, ...] = ("identity",),
        env: dict[str, str] | None = None,
    ) -> LocalCloud:
        """Start the services ``names`` (identity first) with ``NIMBOSTACK_*`` settings ``env``."""
        data_dir.mkdir(parents=True, exist_ok=True)
        runtime = Runtime(conf=_config(names, env or {}), data_dir=data_dir)
        cloud = cls(data_dir=data_dir, runtime=runtime, _loop=ServiceLoop(f"cloud-{data_dir.name}"))
        try:
            cloud.run(cloud._start([s for s in in_up() if s.name in names]))
        except BaseException:
            cloud.stop()
            raise
        return cloud

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the services' loop (to reach their state) and return its result."""
        assert self._loop is not None, "the cloud is stopped"
        return self._loop.run(coro)

    async def _start(self, specs: list[ServiceSpec]) -> None:
        loaded = [spec.load(self.runtime) for spec in specs]
        for service in loaded:  # every port first: the catalog names the real ones
            service.bind()
        identity = next(s for s in loaded if isinstance(s, IdentityService))
        state = await identity.prepare()
        accounts = [
            Account("admin", secret_file(self.data_dir / "admin-password"), "admin", "admin", True),
            Account("demo", secret_file(self.data_dir / "demo-password"), "demo", "member"),
            Account(
                "nimbostack-service",
                secret_file(self.data_dir / "service-password"),
                "service",
                "admin",
            ),
        ]
        catalog = [
            CatalogEntry(s.catalog_type, s.catalog_name, self.runtime.url(s.name, s.path))
            for s in specs
            if s.catalog_type is not None
        ]
        await bootstrap(state, accounts, catalog, self.runtime.conf.DEFAULT.region)
        for service in [identity, *(s for s in loaded if s is not identity)]:
            await service.start()
            self.services.append(service)
        self.ports.update({s.name: self.runtime.port(s.name) for s in loaded})

    async def _stop(self) -> None:
        for service in reversed(self.services):
            await service.stop()
        self.services.clear()
        await self.runtime.close()

    @property
    def conf(self) -> Config:
        return self.runtime.conf

    def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            loop.run(self._stop())
        finally:
            loop.close()


def _config(names: tuple[str, ...], env: dict[str, str]) -> Config:
    settings = {
        # Fast password hashes; the services' own guest image and ports are not wanted.
        "NIMBOSTACK_IDENTITY__PASSWORD_HASH_ROUNDS": "4",
        "NIMBOSTACK_IMAGE__GUEST_IMAGE": "false",
        **{f"NIMBOSTACK_{name.upper()}__PORT": "0" for name in names},
        **env,
    }
    return load(None, environ=settings)


@contextmanager
def local_cloud(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    names: tuple[str, ...],
    env: dict[str, str] | None = None,
) -> Iterator[LocalCloud]:
    """``names`` started in-process, each on a new database: SQLite, or PostgreSQL when
    the fixture's ``request.param`` says "postgres"."""
    settings = dict(env or {})
    databases: list[str] = []
    postgres: PostgresCluster | None = None
    if getattr(request, "param", "sqlite") == "postgres":
        postgres = request.getfixturevalue("postgres_server")
        for name in names:
            databases.append(f"{name}_{uuid.uuid4().hex[:8]}")
            url = postgres.create_database(databases[-1])
            settings[f"NIMBOSTACK_{name.upper()}__CONNECTION"] = url
    running = LocalCloud.start(tmp_path_factory.mktemp("-".join(names)), names, settings)
    try:
        yield running
    finally:
        running.stop()
        for database in databases:
            assert postgres is not None
            postgres.drop_database(database)
