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
from typing import Any, ClassVar

from nimbostack.clients.placement import PlacementClient
from nimbostack.compute import options as _options  # noqa: F401
from nimbostack.compute import policies
from nimbostack.compute.agent.drivers.qemu import options as _qemu  # noqa: F401 (see below)
from nimbostack.compute.agent.runner import AgentRunner
from nimbostack.compute.agent_hosts import build_agents
from nimbostack.compute.api.routes import ROUTES
from nimbostack.compute.api.versions import VERSIONS
from nimbostack.compute.conductor import periodic
from nimbostack.compute.conductor.manager import ConductorManager
from nimbostack.compute.conductor.trace_sink import TraceSink
from nimbostack.compute.credentials import Auth, service_auth
from nimbostack.compute.db.models import Base
from nimbostack.compute.messages import CONDUCTOR, SCHEDULER
from nimbostack.compute.metadata import routes as metadata
from nimbostack.compute.objects.flavors import ensure_default_flavors
from nimbostack.compute.objects.services import SCHEDULER as SCHEDULER_BINARY
from nimbostack.compute.rpcapi import ComputeRpc
from nimbostack.compute.scheduler.manager import SchedulerManager
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.api.errorbody import nova_error
from nimbostack.core.auth.policy import RuleDefault
from nimbostack.core.metadata import settle_shared_secret
from nimbostack.core.runtime import Runtime
from nimbostack.core.service import Api, Schema, Service

# The [qemu] options are imported above so they are registered when the config is
# loaded (`nimbostack up` and `serve` import every service first); imported only when
# the driver is built, the section would always read as its defaults.
LOG = logging.getLogger(__name__)
# One INFO line per service-to-service request drowns the log; errors still show.
logging.getLogger("httpx").setLevel(logging.WARNING)
MIGRATIONS = Path(__file__).parent / "db" / "migrations"
API = Api("compute", ROUTES, nova_error, VERSIONS)
METADATA_API = Api(
    "compute-metadata",
    metadata.ROUTES,
    nova_error,
    port_option="metadata_port",
    authenticated=False,
)


class ComputeService(Service[ComputeState]):
    """Compute's processes that share a database: everything of compute for `up`."""

    name = "compute"
    section = "compute"
    schema = Schema(Base.metadata, MIGRATIONS)
    apis = (API, METADATA_API)
    roles: ClassVar[tuple[str, ...]] = ("conductor", "scheduler", "agent", "api")

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.agents: list[AgentRunner] = []

    def policy_rules(self) -> list[RuleDefault]:
        return policies.rules()

    async def build_state(self) -> ComputeState:
        rt = self.runtime
        await asyncio.to_thread(settle_shared_secret, rt.conf, rt.data_dir)
        auth = service_auth(rt.data_dir, rt.url("identity", "/v3"))
        state = ComputeState(
            conf=rt.conf,
            db=self.database,
            rpc=ComputeRpc(self.bus, service=self.name),
            auth=auth,
            placement=PlacementClient(auth),
            enforcer=self.enforcer,
            public_url=rt.url("compute", "/v2.1"),
            data_dir=rt.data_dir,
        )
        self.on_stop("placement client", state.placement.close)
        return state

    async def serve(self) -> None:
        state = self.state
        sink = TraceSink(state.db)
        sink.start()
        self.on_stop("trace sink", sink.stop)
        if "conductor" in self.roles:
            await self._serve_conductor(state)
        if "scheduler" in self.roles:
            await self._serve_scheduler(state)
        if "agent" in self.roles:
            self.agents = await start_agents(self, state.rpc, state.auth)
        if "api" in self.roles:
            await ensure_default_flavors(state.db)
            for api in self.apis:
                await self.serve_api(api)

    async def _serve_conductor(self, state: ComputeState) -> None:
        await self.serve_rpc(CONDUCTOR, ConductorManager(state), max_concurrency=256)
        interval = min(float(self.runtime.conf.compute_agent.report_interval), 5.0)
        host = self.runtime.host
        self.every("conductor", interval, lambda: periodic.tick(state, host), at_once=True)
        self.every("trace prune", periodic.PRUNE_EVERY, lambda: periodic.prune_traces(state))

    async def _serve_scheduler(self, state: ComputeState) -> None:
        await self.serve_rpc(SCHEDULER, SchedulerManager(state), max_concurrency=256)
        host = self.runtime.host

        async def beat() -> None:
            await periodic.heartbeat(state, host, SCHEDULER_BINARY, SCHEDULER)

        await beat()
        self.every(
            "scheduler heartbeat", float(self.runtime.conf.compute_agent.report_interval), beat
        )


class ComputeApiService(ComputeService):
    name = "compute-api"
    roles = ("api",)


class ComputeConductorService(ComputeService):
    name = "compute-conductor"
    roles = ("conductor",)


class ComputeSchedulerService(ComputeService):
    name = "compute-scheduler"
    roles = ("scheduler",)


class ComputeAgentService(Service[None]):
    """The agents of this host alone: no database, only the bus and the service user."""

    name = "compute-agent"
    section = "compute"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.agents: list[AgentRunner] = []

    async def build_state(self) -> None:
        return None

    async def serve(self) -> None:
        rt = self.runtime
        auth = service_auth(rt.data_dir, rt.url("identity", "/v3"))
        self.agents = await start_agents(self, ComputeRpc(self.bus, service=self.name), auth)


async def start_agents(service: Service[Any], rpc: ComputeRpc, auth: Auth) -> list[AgentRunner]:
    """Start this host's agents (one, or N simulated ones) and stop them with ``service``."""
    rt = service.runtime
    base = str(rt.conf.compute_agent.host or rt.host)
    runners = build_agents(rt.conf, rpc, auth, base, rt.data_dir)
    # Simulated hosts start side by side: a hundred one after another takes seconds.
    for first in range(0, len(runners), 20):
        batch = runners[first : first + 20]
        await asyncio.gather(*(runner.start() for runner in batch))
        for runner in batch:
            service.on_stop(f"agent {runner.agent.host}", runner.stop)
    return runners
