"""The fake L3 agent: answers the L3 agents' contract on one host and touches nothing there.

It reports itself as an L3 agent, syncs every router it hosts on start, resyncs a
router when the server says it changed, and reports each of its floating IPs ACTIVE,
as a real agent does once its NAT rules are in place. It keeps the routers it "built"
in memory, for tests to look at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nimbostack.core.context import RequestContext
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, handles
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration
from nimbostack.network.agents import reporting
from nimbostack.network.l3_messages import (
    ACTIVE,
    L3_AGENT,
    GetRouters,
    RouterDeleted,
    RouterInfo,
    RouterUpdated,
    UpdateFloatingIpStatuses,
)

LOG = logging.getLogger(__name__)


class FakeL3Agent:
    """An L3 agent in name only: the RPC contract, without namespaces."""

    def __init__(self, transport: Transport, host: str, *, report_interval: float = 30.0) -> None:
        self.host = host
        self.plugin = RpcClient(transport, PLUGIN, timeout=30, service="network-l3-agent")
        self.server = RpcServer(transport, L3_AGENT, self, service="network-l3-agent", host=host)
        self.routers: dict[str, RouterInfo] = {}
        self._reports = PeriodicTask(f"l3 agent report {host}", report_interval, self.report)
        self._syncs: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.server.start()
        await self.report(start=True)
        await self.sync(None)
        self._reports.start()

    async def stop(self) -> None:
        await self._reports.stop()
        await self.server.stop()
        for task in list(self._syncs):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def report(self, start: bool = False) -> None:
        await reporting.report_state(
            self.plugin,
            reporting.L3,
            self.host,
            AgentConfiguration(devices=len(self.routers)),
            start,
        )

    async def sync(self, router_ids: list[str] | None) -> None:
        """Fetch the routers (all of this host's with None) and activate their floating IPs."""
        ctxt = RequestContext.admin()
        raw = await self.plugin.call(ctxt, GetRouters(host=self.host, router_ids=router_ids))
        assert isinstance(raw, list)
        found = [RouterInfo.from_wire(item) for item in raw]
        if router_ids is None:
            self.routers.clear()
        for router_id in router_ids or []:
            self.routers.pop(router_id, None)
        for router in found:
            self.routers[router.id] = router
            statuses = {f.id: ACTIVE for f in router.floating_ips if f.status != ACTIVE}
            if statuses:
                msg = UpdateFloatingIpStatuses(router_id=router.id, statuses=statuses)
                await self.plugin.call(ctxt, msg)

    @handles(RouterUpdated)
    async def router_updated(self, ctxt: RequestContext, msg: RouterUpdated) -> None:
        task = asyncio.create_task(self._resync(msg.router_ids), name="l3 resync")
        self._syncs.add(task)
        task.add_done_callback(self._syncs.discard)

    @handles(RouterDeleted)
    async def router_deleted(self, ctxt: RequestContext, msg: RouterDeleted) -> None:
        self.routers.pop(msg.router_id, None)

    async def _resync(self, router_ids: list[str]) -> None:
        try:
            await self.sync(router_ids)
        except Exception:
            LOG.exception("fake L3 agent on %s could not sync routers %s", self.host, router_ids)
