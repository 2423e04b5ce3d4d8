"""The skeleton every service fills in: its database, policies, APIs, bus and periodic tasks.

A service declares what it has and builds the state its handlers share; the skeleton
runs the phases in one order for all of them::

    class PlacementService(Service[PlacementState]):
        name = "placement"
        schema = Schema(Base.metadata, MIGRATIONS)     # tables + Alembic migrations
        apis = (Api("placement", ROUTES, placement_error, VERSIONS),)

        def policy_rules(self) -> list[RuleDefault]:   # rule defaults, in code
            return policies.rules()

        async def build_state(self) -> PlacementState:  # what handlers share
            return PlacementState(self.runtime.conf, self.database, self.enforcer, ...)

``prepare`` migrates and opens the database, loads the policies and builds the state;
``start`` prepares (once) and then ``serve``s: by default every API of ``apis`` on its
port; services with processes add their RPC servers and periodic tasks there through
``serve_rpc`` and ``every``. ``stop`` undoes everything in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import MetaData
from starlette.applications import Starlette

from nimbostack.core.api.app import ApiSettings, Route, build_app
from nimbostack.core.api.errorbody import ErrorFormatter
from nimbostack.core.api.microversion import VersionRange
from nimbostack.core.auth.policy import Enforcer, RuleDefault
from nimbostack.core.auth.tokens import TokenValidator
from nimbostack.core.db import Database
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.http import HttpServer
from nimbostack.core.options import DEFAULT_MAX_BODY, max_body_size
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import RpcServer, Transport, get_transport
from nimbostack.core.runtime import Runtime

LOG = logging.getLogger(__name__)
S = TypeVar("S")
Stop = Callable[[], Awaitable[object]]


def default_data_dir() -> Path:
    env = os.environ.get("NIMBOSTACK_DATA_DIR")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "nimbostack"


@dataclass(frozen=True)
class Schema:
    """A service's tables and the Alembic migrations that build them."""

    metadata: MetaData
    migrations: Path


@dataclass(frozen=True)
class Api:
    """One HTTP API of a service: its name in logs and spans, route table, error body,
    microversions and port.

    ``port_option`` names the option of the service's section that holds the port.
    ``authenticated=False`` serves the routes without any token check (the metadata
    API, reached only by guests through a signing proxy).
    """

    name: str
    routes: Sequence[Route]
    error_format: ErrorFormatter
    versions: VersionRange | None = None
    port_option: str = "port"
    authenticated: bool = True


def api_app(
    api: Api,
    state: object,
    *,
    validator: TokenValidator | None,
    enforcer: Enforcer | None,
    auth_uri: str = "",
    max_body_size: int = DEFAULT_MAX_BODY,
) -> Starlette:
    """The ASGI app serving ``api`` with ``state`` as what its handlers share."""
    settings = ApiSettings(
        service=api.name,
        error_format=api.error_format,
        validator=validator if api.authenticated else None,
        enforcer=enforcer,
        versions=api.versions,
        auth_uri=auth_uri,
        max_body_size=max_body_size,
    )
    app = build_app(api.routes, settings)
    app.state.service = state
    return app


class Parts:
    """What a started service must undo on stop, undone in reverse order."""

    def __init__(self) -> None:
        self._stops: list[tuple[str, Stop]] = []

    def add(self, what: str, stop: Stop) -> None:
        self._stops.append((what, stop))

    async def stop(self) -> None:
        while self._stops:
            what, stop = self._stops.pop()
            try:
                await stop()
            except Exception:
                LOG.exception("error while stopping %s", what)


class Service(Generic[S]):
    """A service of the cloud run inside a process (see the module docstring)."""

    name: ClassVar[str]
    #: The config section of the service's options (compute's roles share "compute").
    section: ClassVar[str] = ""
    schema: ClassVar[Schema | None] = None
    apis: ClassVar[tuple[Api, ...]] = ()

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.parts = Parts()
        self._database: Database | None = None
        self._enforcer: Enforcer | None = None
        self._state: S | None = None
        self._bus: Transport | None = None
        self._prepared = False
        self.servers: dict[str, HttpServer] = {}

    # -- phases ---------------------------------------------------------------------
    async def prepare(self) -> S:
        """Migrate and open the database, load the policies, build the state (once)."""
        if not self._prepared:
            if self.schema is not None:
                self._database = await self._open_database(self.schema)
            rules = self.policy_rules()
            if rules is not None:
                self._enforcer = self.runtime.enforcer(self.config_section, rules)
            self._state = await self.build_state()
            self._prepared = True
        return self.state

    async def start(self) -> None:
        await self.prepare()
        try:
            await self.serve()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        await self.parts.stop()
        self.servers.clear()
        self._prepared = False
        self._state = None
        self._database = None
        self._bus = None

    def health(self) -> dict[str, Any]:
        return {"service": self.name, "status": "up"}

    # -- hooks ----------------------------------------------------------------------
    def policy_rules(self) -> list[RuleDefault] | None:
        """The policy defaults the service enforces (None: it has no policies)."""
        return None

    async def build_state(self) -> S:
        """What the service's handlers and managers share (its database, clients...)."""
        raise NotImplementedError

    async def serve(self) -> None:
        """Start serving: every API of ``apis`` by default."""
        for api in self.apis:
            await self.serve_api(api)

    def port_options(self) -> list[str]:
        """The options of the service's section that name ports it listens on."""
        return [api.port_option for api in self.apis]

    def bind(self) -> None:
        """Bind every listening port now (``serve`` uses them), so URLs are known early."""
        for option in self.port_options():
            self.runtime.listen(self.config_section, option)

    def token_validator(self) -> TokenValidator:
        """Who checks tokens for this service's APIs: identity, over REST."""
        return self.runtime.token_validator()

    # -- what hooks use ---------------------------------------------------------------
    @property
    def config_section(self) -> str:
        return self.section or self.name

    @property
    def state(self) -> S:
        if not self._prepared:
            raise RuntimeError(f"{self.name} is not prepared")
        return self._state  # type: ignore[return-value]  # S may itself allow None

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError(f"{self.name} has no database open")
        return self._database

    @property
    def enforcer(self) -> Enforcer:
        if self._enforcer is None:
            raise RuntimeError(f"{self.name} has no policies loaded")
        return self._enforcer

    @property
    def bus(self) -> Transport:
        """This service's connection to the message bus (closed when it stops)."""
        if self._bus is None:
            self._bus = get_transport(str(self.runtime.conf.DEFAULT.transport_url))
            self.parts.add(f"{self.name} bus connection", self._bus.close)
        return self._bus

    def app(self, api: Api, validator: TokenValidator | None = None) -> Starlette:
        """The ASGI app of ``api`` over this service's state (tests pass a stub validator)."""
        return api_app(
            api,
            self.state,
            validator=validator or self.token_validator(),
            enforcer=self._enforcer,
            auth_uri=self.runtime.url("identity"),
            max_body_size=max_body_size(self.runtime.conf, self.config_section),
        )

    async def serve_api(self, api: Api) -> HttpServer:
        """Serve ``api`` on its port until the service stops."""
        listener = self.runtime.listen(self.config_section, api.port_option)
        server = HttpServer(self.app(api), listener, api.name)
        await server.start()
        self.parts.add(f"{api.name} HTTP server", server.stop)
        self.servers[api.name] = server
        return server

    async def serve_rpc(
        self,
        topic: str,
        endpoint: object,
        *,
        host: str | None = None,
        max_concurrency: int = 64,
    ) -> RpcServer:
        """Serve ``endpoint``'s handlers on ``topic`` (and its host topic) until stopped."""
        server = RpcServer(
            self.bus,
            topic,
            endpoint,
            service=self.name,
            host=host,
            max_concurrency=max_concurrency,
        )
        await server.start()
        self.parts.add(f"RPC server {topic}", server.stop)
        return server

    def every(
        self,
        name: str,
        interval: float,
        work: Callable[[], Awaitable[object]],
        *,
        at_once: bool = False,
    ) -> None:
        """Run ``work`` every ``interval`` seconds until the service stops."""
        task = PeriodicTask(name, interval, work, at_once=at_once)
        task.start()
        self.parts.add(f"periodic task {name}", task.stop)

    def on_stop(self, what: str, stop: Stop) -> None:
        """Call ``stop`` when the service stops (after what was started later)."""
        self.parts.add(what, stop)

    async def _open_database(self, schema: Schema) -> Database:
        url = self.runtime.database_url(self.config_section)
        await asyncio.to_thread(upgrade, url, schema.migrations, schema.metadata)
        database = Database(url)
        self.parts.add(f"{self.name} database", database.close)
        return database


__all__ = ["Api", "Parts", "Runtime", "Schema", "Service", "api_app", "default_data_dir"]
