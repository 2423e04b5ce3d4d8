"""network-server's side of the agents' contract: its handlers, and its casts to agents.

``PluginEndpoint`` serves ``network.plugin``: agents' state reports, device details,
security groups for the firewalls, devices going up or down, and the VTEPs of a VXLAN
network. A device up that leaves its port with no provisioning block makes the port
ACTIVE and, for a compute port, tells compute ``network-vif-plugged`` (after the commit,
so compute never hears of a state that could still roll back); on a VXLAN network every
agent then hears ``FdbAdd``, and ``FdbRemove`` when the device goes down.
``AgentNotifier`` sends the server's messages to the L2 agents.
"""

from __future__ import annotations

import logging
from typing import Protocol

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.rpc import RpcClient, Transport, handles, host_topic
from nimbostack.network.agent_messages import (
    L2_AGENT,
    DeviceDetails,
    FdbAdd,
    FdbRemove,
    GetDeviceDetails,
    GetSecurityGroupsInfo,
    GetTunnelPeers,
    NetworkDelete,
    PortDelete,
    PortUpdate,
    ReportState,
    SecurityGroupsChanged,
    SecurityGroupsInfo,
    TunnelPeer,
    UpdateDeviceDown,
    UpdateDeviceUp,
)
from nimbostack.network.l3_rpc import L3PluginHandlers
from nimbostack.network.metadata_rpc import MetadataLookups
from nimbostack.network.objects import agents, binding, l2pop, sg_info
from nimbostack.network.objects.binding import Provisioned

LOG = logging.getLogger(__name__)


class VifEvents(Protocol):
    """Tells compute that a port of one of its servers is wired (``network-vif-plugged``)."""

    async def plugged(self, port: Provisioned) -> None: ...


class AgentNotifier:
    """Casts from network-server to the L2 agents (per host, or fanout to all)."""

    def __init__(self, transport: Transport) -> None:
        self.client = RpcClient(transport, L2_AGENT, service="network-server")

    async def port_update(self, ctxt: RequestContext, host: str, port_id: str, net: str) -> None:
        topic = host_topic(L2_AGENT, host)
        await self.client.cast(ctxt, PortUpdate(port_id=port_id, network_id=net), topic=topic)

    async def port_delete(self, ctxt: RequestContext, port_id: str) -> None:
        await self.client.fanout(ctxt, PortDelete(port_id=port_id))

    async def network_delete(self, ctxt: RequestContext, network_id: str) -> None:
        await self.client.fanout(ctxt, NetworkDelete(network_id=network_id))

    async def security_groups_changed(self, ctxt: RequestContext, group_ids: list[str]) -> None:
        if not group_ids:
            return
        await self.client.fanout(ctxt, SecurityGroupsChanged(security_group_ids=group_ids))

    async def fdb_add(self, ctxt: RequestContext, added: FdbAdd) -> None:
        await self.client.fanout(ctxt, added)

    async def fdb_remove(self, ctxt: RequestContext, removed: FdbRemove) -> None:
        await self.client.fanout(ctxt, removed)


class PluginEndpoint(L3PluginHandlers, MetadataLookups):
    """The handlers of ``network.plugin``: what agents ask network-server (the L3 agents'
    calls come from ``L3PluginHandlers``, the metadata agent's from ``MetadataLookups``)."""

    def __init__(
        self,
        db: Database,
        down_time: float,
        events: VifEvents | None,
        notifier: AgentNotifier | None = None,
    ) -> None:
        self.db = db
        self.down_time = down_time
        self.events = events
        self.notifier = notifier

    @handles(ReportState)
    async def report_state(self, ctxt: RequestContext, msg: ReportState) -> str:
        async with self.db.session() as s:
            return await agents.report(s, msg)

    @handles(GetDeviceDetails)
    async def get_device_details(
        self, ctxt: RequestContext, msg: GetDeviceDetails
    ) -> DeviceDetails:
        async with self.db.reader() as s:
            return await binding.details(s, msg.device, msg.host)

    @handles(GetSecurityGroupsInfo)
    async def get_security_groups_info(
        self, ctxt: RequestContext, msg: GetSecurityGroupsInfo
    ) -> SecurityGroupsInfo:
        async with self.db.reader() as s:
            return await sg_info.info(s, msg.security_group_ids)

    @handles(GetTunnelPeers)
    async def get_tunnel_peers(self, ctxt: RequestContext, msg: GetTunnelPeers) -> list[TunnelPeer]:
        async with self.db.reader() as s:
            return await l2pop.tunnel_peers(s, msg.network_id, msg.host)

    @handles(UpdateDeviceUp)
    async def update_device_up(self, ctxt: RequestContext, msg: UpdateDeviceUp) -> bool:
        async with self.db.session() as s:
            provisioned = await binding.device_up(s, msg.device, msg.host)
            added = await l2pop.entry(s, provisioned.port_id) if provisioned else None
        if provisioned is None:
            return False
        await announce_active(ctxt, self.notifier, self.events, provisioned, added)
        return True

    @handles(UpdateDeviceDown)
    async def update_device_down(self, ctxt: RequestContext, msg: UpdateDeviceDown) -> bool:
        async with self.db.session() as s:
            found = await binding.details(s, msg.device, msg.host)
            added = await l2pop.entry(s, found.port_id) if found.port_id else None
            down = await binding.device_down(s, msg.device, msg.host)
        if down and added is not None and self.notifier is not None:
            await self.notifier.fdb_remove(ctxt, l2pop.removal(added))
        return down


async def announce_active(
    ctxt: RequestContext,
    notifier: AgentNotifier | None,
    events: VifEvents | None,
    provisioned: Provisioned,
    added: FdbAdd | None,
) -> None:
    """A port just went ACTIVE: the other hosts learn where it is, compute that it is wired."""
    if added is not None and notifier is not None:
        await notifier.fdb_add(ctxt, added)
    await tell_compute(events, provisioned)


async def tell_compute(events: VifEvents | None, provisioned: Provisioned) -> None:
    """Send ``network-vif-plugged`` for a compute port that just went ACTIVE."""
    if events is None or not provisioned.device_owner.startswith("compute:"):
        return
    try:
        await events.plugged(provisioned)
    except Exception as exc:  # compute down: the port is ACTIVE all the same
        LOG.warning("compute did not take network-vif-plugged for %s: %s", provisioned.port_id, exc)
