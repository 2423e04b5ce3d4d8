"""The networking service: Neutron's API v2.0 on [network] port.

On start it brings the ML2 allocation tables in line with the configured VLAN and
VXLAN ranges, serves the agents' RPC contract on ``network.plugin`` (and the DHCP
agents' on ``network.dhcp_plugin``), and runs the L2 agents of this machine
(``network/agents/l2_hosts.py``), its L3 agent (``network/agents/l3/``), which hosts
the routers, and, with real devices, its metadata agent (``network/agents/metadata/``)
and its DHCP agent, which starts a metadata proxy in each isolated network's namespace.
The dataplane agents build on this service (see ``docs/architecture.md``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from nimbostack.clients.service_auth import service_auth
from nimbostack.core.api.errorbody import neutron_error
from nimbostack.core.auth.policy import Enforcer, RuleDefault
from nimbostack.core.config import Config
from nimbostack.core.db import Database
from nimbostack.core.service import Api, Schema, Service
from nimbostack.network import options as _options  # noqa: F401
from nimbostack.network import policies
from nimbostack.network.agent_messages import PLUGIN
from nimbostack.network.agents.dhcp import runner as dhcp_runner
from nimbostack.network.agents.l2_hosts import start_l2_agents
from nimbostack.network.agents.l3 import runner as l3_runner
from nimbostack.network.agents.metadata.service import HostMetadataAgent, start_metadata_agent
from nimbostack.network.api.routes import EXTENSIONS, ROUTES
from nimbostack.network.compute_events import ComputeVifEvents
from nimbostack.network.db.models import Base
from nimbostack.network.dhcp_messages import DHCP_PLUGIN
from nimbostack.network.dhcp_rpc import DhcpNotifier, DhcpPluginEndpoint
from nimbostack.network.l3_rpc import L3Notifier
from nimbostack.network.ml2.manager import TypeManager
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from nimbostack.network.state import NetworkState

LOG = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "db" / "migrations"
API = Api("network", ROUTES, neutron_error)


class NetworkService(Service[NetworkState]):
    """Neutron's API v2.0 on [network] port (``nimbostack serve network-server``)."""

    name = "network"
    schema = Schema(Base.metadata, MIGRATIONS)
    apis = (API,)
    #: This host's metadata agent, when it runs one (its ``proxies`` serve the DHCP agent).
    metadata: HostMetadataAgent | None = None

    def policy_rules(self) -> list[RuleDefault]:
        return policies.rules()

    async def build_state(self) -> NetworkState:
        return await build_state(self.runtime.conf, self.database, self.enforcer)

    async def serve(self) -> None:
        state = self.state
        rt = self.runtime
        events = ComputeVifEvents(service_auth(rt.data_dir, rt.url("identity", "/v3")))
        self.on_stop("compute events client", events.close)
        state.agents = AgentNotifier(self.bus)
        state.l3 = L3Notifier(self.bus, state.db, state.agent_down_time)
        state.vif_events = events
        state.dhcp = DhcpNotifier(self.bus, state.db)
        endpoint = PluginEndpoint(state.db, state.agent_down_time, events, state.agents)
        await self.serve_rpc(PLUGIN, endpoint)
        dhcp = DhcpPluginEndpoint(rt.conf, state.db, state.agents, events)
        await self.serve_rpc(DHCP_PLUGIN, dhcp)
        await super().serve()
        await l3_runner.prepare_host(rt.conf)
        for agent in await start_l2_agents(rt.conf, self.bus, str(rt.host)):
            self.on_stop(f"L2 agent {agent.host}", agent.stop)
        if wants_metadata_agent(rt.conf):
            await self._start_metadata_agent()
        proxies = self.metadata.proxies if self.metadata is not None else None
        l3_agent = await l3_runner.start_l3_agent(
            rt.conf, self.bus, str(rt.host), rt.data_dir, proxies
        )
        self.on_stop(f"L3 agent {l3_agent.host}", l3_agent.stop)
        if dhcp_runner.enabled(rt.conf):
            agent = await dhcp_runner.start_dhcp_agent(
                rt.conf, self.bus, str(rt.host), rt.data_dir, proxies
            )
            self.on_stop("DHCP agent", agent.stop)

    async def _start_metadata_agent(self) -> None:
        rt = self.runtime
        try:
            self.metadata = await start_metadata_agent(rt.conf, self.bus, rt.data_dir)
        except OSError:
            # Guests then lack 169.254.169.254; the API and the other agents still serve.
            LOG.exception("the metadata agent could not start")
            return
        self.on_stop("metadata agent", self.metadata.stop)


def wants_metadata_agent(conf: Config) -> bool:
    """Whether `up` runs the metadata agent: beside the DHCP agent (real devices), or asked."""
    return dhcp_runner.enabled(conf) or bool(conf.network_metadata.enabled)


async def build_state(conf: Config, database: Database, enforcer: Enforcer) -> NetworkState:
    """The state of a networking process, its ML2 tables synced to the configuration."""
    types = TypeManager(conf)
    async with database.session() as s:
        await types.sync(s)
    return NetworkState(
        conf=conf, db=database, enforcer=enforcer, extensions=EXTENSIONS, types=types
    )
