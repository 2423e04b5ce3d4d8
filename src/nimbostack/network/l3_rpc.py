"""network-server's side of the L3 agents' contract: its handlers and its casts.

``L3PluginHandlers`` are part of the ``network.plugin`` endpoint: they answer
``GetRouters`` and record ``UpdateFloatingIpStatuses``. ``L3Notifier`` schedules a
changed router to a live L3 agent and casts ``RouterUpdated`` / ``RouterDeleted`` to
the hosts of a router, after the change committed.
"""

from __future__ import annotations

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.rpc import RpcClient, Transport, handles, host_topic
from nimbostack.network.l3_messages import (
    L3_AGENT,
    GetRouters,
    RouterDeleted,
    RouterInfo,
    RouterUpdated,
    UpdateFloatingIpStatuses,
)
from nimbostack.network.objects import l3_agents


class L3PluginHandlers:
    """The L3 agents' calls to network-server (mixed into the plugin endpoint)."""

    db: Database
    down_time: float

    @handles(GetRouters)
    async def get_routers(self, ctxt: RequestContext, msg: GetRouters) -> list[RouterInfo]:
        async with self.db.session() as s:
            found = await l3_agents.routers_for_host(s, msg.host, msg.router_ids, self.down_time)
            if msg.bind_ports:
                await l3_agents.bind_router_ports(s, msg.host, found, self.down_time)
            return found

    @handles(UpdateFloatingIpStatuses)
    async def update_floating_ip_statuses(
        self, ctxt: RequestContext, msg: UpdateFloatingIpStatuses
    ) -> int:
        async with self.db.session() as s:
            return await l3_agents.set_fip_statuses(s, msg.router_id, msg.statuses)


class L3Notifier:
    """Casts from network-server to the L3 agents hosting a router."""

    def __init__(self, transport: Transport, db: Database, down_time: float) -> None:
        self.client = RpcClient(transport, L3_AGENT, service="network-server")
        self.db = db
        self.down_time = down_time

    async def hosts(self, router_id: str) -> list[str]:
        async with self.db.reader() as s:
            return await l3_agents.hosts_of(s, router_id)

    async def router_updated(self, ctxt: RequestContext, router_ids: list[str]) -> None:
        """Schedule each router if no live agent hosts it, and tell its host."""
        for router_id in dict.fromkeys(r for r in router_ids if r):
            async with self.db.session() as s:
                hosts = await l3_agents.schedule(s, router_id, self.down_time)
            for host in hosts:
                msg = RouterUpdated(router_ids=[router_id])
                await self.client.cast(ctxt, msg, topic=host_topic(L3_AGENT, host))

    async def router_deleted(self, ctxt: RequestContext, router_id: str, hosts: list[str]) -> None:
        for host in hosts:
            msg = RouterDeleted(router_id=router_id)
            await self.client.cast(ctxt, msg, topic=host_topic(L3_AGENT, host))
