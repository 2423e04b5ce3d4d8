"""network-server's side of the agents' contract: its handlers, and its casts to agents.

``PluginEndpoint`` serves ``network.plugin``: agents' state reports, device details,
and devices going up or down. A device up that leaves its port with no provisioning
block makes the port ACTIVE and, for a compute port, tells compute
``network-vif-plugged`` (after the commit, so compute never hears of a state that could
still roll back). ``AgentNotifier`` sends the server's messages to the L2 agents.
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
    GetDeviceDetails,
    NetworkDelete,
    PortDelete,
    PortUpdate,
    ReportState,
    SecurityGroupsChanged,
    UpdateDeviceDown,
    UpdateDeviceUp,
)
from nimbostack.network.metadata_rpc import MetadataLookups
from nimbostack.network.objects import agents, binding
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
        await self.client.fanout(ctxt, SecurityGroupsChanged(security_group_ids=group_ids))


class PluginEndpoint(MetadataLookups):
    """The handlers of ``network.plugin``: what agents ask network-server."""

    def __init__(self, db: Database, down_time: float, events: VifEvents | None) -> None:
        self.db = db
        self.down_time = down_time
        self.events = events

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

    @handles(UpdateDeviceUp)
    async def update_device_up(self, ctxt: RequestContext, msg: UpdateDeviceUp) -> bool:
        async with self.db.session() as s:
            provisioned = await binding.device_up(s, msg.device, msg.host)
        if provisioned is None:
            return False
        if self.events is not None and provisioned.device_owner.startswith("compute:"):
            try:
                await self.events.plugged(provisioned)
            except Exception as exc:  # compute down: the port is ACTIVE all the same
                LOG.warning(
                    "compute did not take network-vif-plugged for %s: %s", provisioned.port_id, exc
                )
        return True

    @handles(UpdateDeviceDown)
    async def update_device_down(self, ctxt: RequestContext, msg: UpdateDeviceDown) -> bool:
        async with self.db.session() as s:
            return await binding.device_down(s, msg.device, msg.host)
