"""network-server's side of the DHCP agents' contract: its handlers, and its casts to them.

``DhcpPluginEndpoint`` serves ``network.dhcp_plugin``: the networks an agent hosts,
their ``NetworkInfo``, the agent's DHCP port (get-or-create) and ports dnsmasq now
serves. ``DhcpNotifier`` tells the agents hosting a network that it, or one of its
ports, changed (a cast to each host's agent), and every agent that a network is gone.
Casts leave after the commit, so an agent never asks about a change not visible yet.
"""

from __future__ import annotations

from nimbostack.core.config import Config
from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.rpc import Message, RpcClient, Transport, handles, host_topic
from nimbostack.network.dhcp_messages import (
    DHCP_AGENT,
    CreateDhcpPort,
    DhcpReady,
    GetActiveNetworks,
    GetNetworkInfo,
    NetworkChanged,
    NetworkInfo,
    NetworkRemoved,
    PortChanged,
    PortInfo,
    PortRemoved,
    ReleaseDhcpPort,
)
from nimbostack.network.objects import binding, dhcp, dhcp_agents, l2pop
from nimbostack.network.plugin_rpc import AgentNotifier, VifEvents, announce_active


class DhcpNotifier:
    """Casts from network-server to the DHCP agents hosting a network."""

    def __init__(self, transport: Transport, db: Database) -> None:
        self.client = RpcClient(transport, DHCP_AGENT, service="network-server")
        self.db = db

    async def network_changed(self, ctxt: RequestContext, network_id: str) -> None:
        await self._to_hosts(ctxt, network_id, NetworkChanged(network_id=network_id))

    async def port_changed(self, ctxt: RequestContext, network_id: str, port_id: str) -> None:
        await self._to_hosts(ctxt, network_id, PortChanged(network_id=network_id, port_id=port_id))

    async def port_removed(self, ctxt: RequestContext, network_id: str, port_id: str) -> None:
        await self._to_hosts(ctxt, network_id, PortRemoved(network_id=network_id, port_id=port_id))

    async def network_removed(self, ctxt: RequestContext, network_id: str) -> None:
        # The bindings went with the network: every agent hears of it.
        await self.client.fanout(ctxt, NetworkRemoved(network_id=network_id))

    async def _to_hosts(self, ctxt: RequestContext, network_id: str, msg: Message) -> None:
        async with self.db.reader() as s:
            hosts = await dhcp_agents.hosts_of(s, network_id)
        for host in hosts:
            await self.client.cast(ctxt, msg, topic=host_topic(DHCP_AGENT, host))


class DhcpPluginEndpoint:
    """The handlers of ``network.dhcp_plugin``: what DHCP agents ask network-server."""

    def __init__(
        self,
        conf: Config,
        db: Database,
        l2: AgentNotifier | None,
        events: VifEvents | None,
    ) -> None:
        self.conf = conf
        self.db = db
        self.l2 = l2
        self.events = events

    @property
    def down_time(self) -> float:
        return float(self.conf.network.agent_down_time)

    @handles(GetActiveNetworks)
    async def get_active_networks(self, ctxt: RequestContext, msg: GetActiveNetworks) -> list[str]:
        async with self.db.session() as s:
            return await dhcp_agents.active_networks(s, msg.host, self.down_time)

    @handles(GetNetworkInfo)
    async def get_network_info(self, ctxt: RequestContext, msg: GetNetworkInfo) -> NetworkInfo:
        domain = str(self.conf.network.dns_domain).strip(".")
        async with self.db.reader() as s:
            return await dhcp.network_info(s, msg.network_id, msg.host, domain)

    @handles(CreateDhcpPort)
    async def create_dhcp_port(self, ctxt: RequestContext, msg: CreateDhcpPort) -> PortInfo:
        async with self.db.session() as s:
            port, changed = await dhcp.ensure_port(
                s, self.conf, msg.network_id, msg.host, self.down_time
            )
        if changed and self.l2 is not None:
            await self.l2.port_update(ctxt, msg.host, port.id, msg.network_id)
        return port

    @handles(ReleaseDhcpPort)
    async def release_dhcp_port(self, ctxt: RequestContext, msg: ReleaseDhcpPort) -> bool:
        async with self.db.session() as s:
            port_id = await dhcp.release_port(s, msg.network_id, msg.host)
        if port_id is not None and self.l2 is not None:
            await self.l2.port_delete(ctxt, port_id)
        return port_id is not None

    @handles(DhcpReady)
    async def dhcp_ready(self, ctxt: RequestContext, msg: DhcpReady) -> list[str]:
        """Lift the ports' DHCP blocks; the ids of those that went ACTIVE."""
        activated = []
        for port_id in msg.port_ids:
            async with self.db.session() as s:
                provisioned = await binding.dhcp_ready(s, port_id)
                added = await l2pop.entry(s, port_id) if provisioned else None
            if provisioned is not None:
                activated.append(port_id)
                await announce_active(ctxt, self.l2, self.events, provisioned, added)
        return activated
