"""Runs compute: the API and metadata servers, conductor, scheduler and agents.

``ComputeService`` ("compute") runs them all for `nimbostack up`; the role services
run one each for `nimbostack serve compute-api | compute-conductor |
compute-scheduler | compute-agent`. All of them talk over the bus of
``[DEFAULT] transport_url``; the agents never open the database.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from nimbostack.clients.placement import PlacementClient
from nimbostack.compute import options as _options  # noqa: F401
from nimbostack.compute import policies
from nimbostack.compute.agent.drivers.qemu import options as _qemu  # noqa: F401 (see below)
from nimbostack.compute.agent.runner import AgentRunner
from nimbostack.compute.agents import build_agents
from nimbostack.compute.conductor.manager import ConductorManager
from nimbostack.compute.conductor.periodic import Periodic, heartbeat
from nimbostack.compute.conductor.trace_sink import TraceSink
from nimbostack.compute.credentials import service_auth
from nimbostack.compute.db.models import Base
from nimbostack.compute.messages import CONDUCTOR, SCHEDULER
from nimbostack.compute.objects.services import SCHEDULER as SCHEDULER_BINARY
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.compute.scheduler.manager import SchedulerManager
from nimbostack.compute.state import ComputeState
from nimbostack.core.db import Database
from nimbostack.core.db.migrate import upgrade
from nimbostack.core.rpc import RpcServer, Transport, get_transport
from nimbostack.core.service import HttpServer, Runtime, Service

# The [qemu] options are imported above so they are registered when the config is
# loaded (`nimbostack up` and `serve` import every service first); imported only when
# the driver is built, the section would always read as its defaults.
LOG = logging.getLogger(__name__)
# One INFO line per service-to-service request drowns the log; errors still show.
logging.getLogger("httpx").setLevel(logging.WARNING)
MIGRATIONS = Path(__file__).parent / "db" / "migrations"


async def build_state(runtime: Runtime, service: str) -> ComputeState:
    """Migrate the database and connect the bus and the service clients."""
    url = runtime.database_url("compute")
    await asyncio.to_thread(upgrade, url, MIGRATIONS, Base.metadata)
    auth = service_auth(runtime.data_dir, runtime.url("identity", "/v3"))
    transport = get_transport(runtime.conf.DEFAULT.transport_url)
    return ComputeState(
        conf=runtime.conf,
        db=Database(url),
        rpc=ComputeRpc(transport, service=service),
        auth=auth,
        placement=PlacementClient(auth),
        public_url=runtime.url("compute", "/v2.1"),
        data_dir=runtime.data_dir,
    )


def _transport(state: ComputeState) -> Transport:
    return state.rpc.conductor.transport


class _Parts:
    """Start and stop a list of parts in order (reverse order on stop)."""

    def __init__(self) -> None:
        self.stops: list[Any] = []

    async def stop(self) -> None:
        for stop in reversed(self.stops):
            try:
                await stop()
            except Exception:
                LOG.exception("error while stopping a compute part")
        self.stops.clear()


async def start_api(runtime: Runtime, state: ComputeState, parts: _Parts) -> None:
    """The compute API and the metadata API, with the default flavors in place."""
    from nimbostack.compute.api import app as api_app
    from nimbostack.compute.objects.flavors import ensure_default_flavors

    await ensure_default_flavors(state.db)
    state.enforcer = runtime.enforcer("compute", policies.rules())
    bind = runtime.conf.DEFAULT.bind_host
    app = api_app.build_app(
        state, runtime.token_validator(), auth_uri=runtime.url("identity", "/v3")
    )
    api = HttpServer(app, bind, runtime.port("compute"), "compute")
    await api.start()
    parts.stops.append(api.stop)
    port = int(runtime.conf.compute.metadata_port)
    meta = HttpServer(api_app.build_metadata_app(state), bind, port, "compute-metadata")
    await meta.start()
    parts.stops.append(meta.stop)


async def start_conductor(runtime: Runtime, state: ComputeState, parts: _Parts) -> None:
    server = RpcServer(
        _transport(state),
        CONDUCTOR,
        ConductorManager(state),
        service="compute-conductor",
        max_concurrency=256,
    )
    await server.start()
    parts.stops.append(server.stop)
    interval = min(float(runtime.conf.compute_agent.report_interval), 5.0)
    periodic = Periodic(state, runtime.host, interval)
    periodic.start()
    parts.stops.append(periodic.stop)


async def start_scheduler(runtime: Runtime, state: ComputeState, parts: _Parts) -> None:
    server = RpcServer(
        _transport(state),
        SCHEDULER,
        SchedulerManager(state),
        service="compute-scheduler",
        max_concurrency=256,
    )
    await server.start()
    parts.stops.append(server.stop)
    await heartbeat(state, runtime.host, SCHEDULER_BINARY, SCHEDULER)
    interval = float(runtime.conf.compute_agent.report_interval)

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await heartbeat(state, runtime.host, SCHEDULER_BINARY, SCHEDULER)
            except Exception:
                LOG.exception("scheduler heartbeat failed")

    task = asyncio.create_task(beat(), name="scheduler-heartbeat")

    async def stop() -> None:
        task.cancel()

    parts.stops.append(stop)


async def start_agents(
    runtime: Runtime, rpc: ComputeRpc, state: ComputeState | None, parts: _Parts
) -> list[AgentRunner]:
    conf = runtime.conf
    auth = state.auth if state else service_auth(runtime.data_dir, runtime.url("identity", "/v3"))
    base = str(conf.compute_agent.host or runtime.host)
    runners = build_agents(conf, rpc, auth, base, runtime.data_dir)
    # Simulated hosts start side by side: a hundred one after another takes seconds.
    for first in range(0, len(runners), 20):
        batch = runners[first : first + 20]
        await asyncio.gather(*(runner.start() for runner in batch))
        parts.stops.extend(runner.stop for runner in batch)
    return runners


class _ComputeBase(Service):
    roles: tuple[str, ...] = ()

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.parts = _Parts()
        self.state: ComputeState | None = None
        self.agents: list[AgentRunner] = []

    async def start(self) -> None:
        rt = self.runtime
        if self.roles != ("agent",):
            caller = "compute" if len(self.roles) > 1 else f"compute-{self.roles[0]}"
            self.state = await build_state(rt, caller)
            sink = TraceSink(self.state.db)
            sink.start()
            self.parts.stops.append(self.state.db.close)
            self.parts.stops.append(self.state.placement.close)
            self.parts.stops.append(sink.stop)
        if "conductor" in self.roles:
            await start_conductor(rt, self._state(), self.parts)
        if "scheduler" in self.roles:
            await start_scheduler(rt, self._state(), self.parts)
        if "agent" in self.roles:
            rpc = (
                self.state.rpc
                if self.state
                else ComputeRpc(
                    get_transport(rt.conf.DEFAULT.transport_url), service="compute-agent"
                )
            )
            self.agents = await start_agents(rt, rpc, self.state, self.parts)
        if "api" in self.roles:
            await start_api(rt, self._state(), self.parts)

    def _state(self) -> ComputeState:
        assert self.state is not None
        return self.state

    async def stop(self) -> None:
        await self.parts.stop()


class ComputeService(_ComputeBase):
    """Everything of compute in one process (`nimbostack up`)."""

    name = "compute"
    roles = ("conductor", "scheduler", "agent", "api")


class ComputeApiService(_ComputeBase):
    name = "compute-api"
    roles = ("api",)


class ComputeConductorService(_ComputeBase):
    name = "compute-conductor"
    roles = ("conductor",)


class ComputeSchedulerService(_ComputeBase):
    name = "compute-scheduler"
    roles = ("scheduler",)


class ComputeAgentService(_ComputeBase):
    name = "compute-agent"
    roles = ("agent",)
