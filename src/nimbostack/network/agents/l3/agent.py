"""The L3 agent of one host: builds the routers the server schedules here.

It reports itself on ``network.plugin`` (``L3 agent``), serves ``network.l3`` (and its
host topic) and asks for its routers with ``GetRouters`` (binding their ports to this
host, so the L2 agent wires the devices it plugs). Each router is handled one at a
time: its namespace, ports, routes, NAT table and metadata proxy
(``router.RouterNamespace``), then the floating IPs' statuses
(``UpdateFloatingIpStatuses``). Notifications for one router coalesce: while a sync
runs, later ones wait and are handled by one more sync. A full resync on start and
every ``resync_interval`` builds every hosted router and removes those this agent
made (its state directory says which) that are no longer hosted.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from nimbostack.core.context import RequestContext
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, handles
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration
from nimbostack.network.agents import reporting
from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.agents.l3.router import RouterNamespace, made_on_disk
from nimbostack.network.l3_messages import (
    ACTIVE,
    DOWN,
    L3_AGENT,
    GetRouters,
    RouterDeleted,
    RouterInfo,
    RouterUpdated,
    UpdateFloatingIpStatuses,
)

LOG = logging.getLogger(__name__)
SERVICE = "network-l3-agent"
# Seconds before a router whose sync failed is tried again.
RETRY_DELAY = 5.0
_FETCH = None  # a pending sync that asks the server for the router first


class L3Agent:
    """The L3 agent of ``host``, keeping its records under ``data_dir/l3``."""

    def __init__(
        self,
        transport: Transport,
        host: str,
        data_dir: Path,
        *,
        proxies: NamespaceProxies | None = None,
        report_interval: float = 10.0,
        resync_interval: float = 60.0,
    ) -> None:
        self.host = host
        self.root = data_dir / "l3"
        self.proxies = proxies
        self.plugin = RpcClient(transport, PLUGIN, timeout=30, service=SERVICE)
        self.server = RpcServer(transport, L3_AGENT, self, service=SERVICE, host=host)
        self.routers: dict[str, RouterInfo] = {}  # as last built
        # Per router, every floating IP address it translated since this agent started:
        # the flows of those it no longer has are cut.
        self.translated: dict[str, set[str]] = {}
        self._pending: dict[str, RouterInfo | None] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._retries: dict[str, asyncio.TimerHandle] = {}
        self._reports = PeriodicTask(f"l3 agent report {host}", report_interval, self.report)
        self._resyncs = PeriodicTask(f"l3 agent resync {host}", resync_interval, self.resync)

    async def start(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        await self.server.start()
        await self.report(start=True)
        self._reports.start()
        await self._resyncs.run_once()
        self._resyncs.start()

    async def stop(self) -> None:
        """Stop serving RPC; the routers keep forwarding for the next agent to adopt."""
        await self._resyncs.stop()
        await self._reports.stop()
        await self.server.stop()
        for handle in self._retries.values():
            handle.cancel()
        self._retries.clear()
        for task in list(self._workers.values()):
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def report(self, start: bool = False) -> None:
        config = AgentConfiguration(devices=len(self.routers))
        await reporting.report_state(self.plugin, reporting.L3, self.host, config, start)

    # ---------------------------------------------------------- notifications
    @handles(RouterUpdated)
    async def router_updated(self, ctxt: RequestContext, msg: RouterUpdated) -> None:
        for router_id in msg.router_ids:
            self.kick(router_id)

    @handles(RouterDeleted)
    async def router_deleted(self, ctxt: RequestContext, msg: RouterDeleted) -> None:
        self.kick(msg.router_id)

    # ---------------------------------------------------------- syncing
    def kick(self, router_id: str, info: RouterInfo | None = _FETCH) -> None:
        """Sync the router soon (once more if a sync of it is running).

        ``info`` is the router as a full resync just read it; without it the sync asks
        the server first. A pending ask is never replaced by such a copy, which may be
        older than the change that asked.
        """
        if info is _FETCH or router_id not in self._pending:
            self._pending[router_id] = info
        if router_id not in self._workers:
            task = asyncio.create_task(self._work(router_id), name=f"l3 sync {router_id}")
            self._workers[router_id] = task

    async def idle(self) -> None:
        """Wait until no sync is pending or running."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def _work(self, router_id: str) -> None:
        try:
            while router_id in self._pending:
                info = self._pending.pop(router_id)
                try:
                    await self.sync_router(router_id, info)
                except Exception:
                    LOG.exception("router %s could not be built; retrying", router_id)
                    self._retry_later(router_id)
        finally:
            self._workers.pop(router_id, None)

    def _retry_later(self, router_id: str) -> None:
        if router_id in self._retries:
            return

        def retry() -> None:
            del self._retries[router_id]
            self.kick(router_id)

        loop = asyncio.get_running_loop()
        self._retries[router_id] = loop.call_later(RETRY_DELAY, retry)

    async def resync(self) -> None:
        """Build every hosted router; remove the routers this agent made that are gone."""
        found = await self._fetch(None)
        # What this agent made is what its state directory records: namespaces alone
        # could belong to another cloud or agent on the same machine.
        made = await asyncio.to_thread(made_on_disk, self.root)
        for router in found:
            self.kick(router.id, router)
        hosted = {router.id for router in found}
        for router_id in made:
            if router_id not in hosted:
                self.kick(router_id)
        await self.idle()

    async def _fetch(self, router_ids: list[str] | None) -> list[RouterInfo]:
        msg = GetRouters(host=self.host, router_ids=router_ids, bind_ports=True)
        raw = await self.plugin.call(RequestContext.admin(), msg)
        assert isinstance(raw, list)
        return [RouterInfo.from_wire(item) for item in raw]

    async def sync_router(self, router_id: str, info: RouterInfo | None) -> None:
        """Bring the router's dataplane in line with the server, then report its FIPs."""
        if info is None:
            found = await self._fetch([router_id])
            info = found[0] if found else None
        built = RouterNamespace(router_id, self.root, self.proxies)
        if info is None or not info.admin_state_up:
            await built.remove()
            self.routers.pop(router_id, None)
            self.translated.pop(router_id, None)
            if info is not None:
                await self._report_fips(info, set())
            return
        seen = self.translated.setdefault(router_id, set())
        active = set(await built.apply(info, seen))
        seen.update(f.floating_ip_address for f in info.floating_ips if f.id in active)
        self.routers[router_id] = info
        await self._report_fips(info, active)

    async def _report_fips(self, router: RouterInfo, active: set[str]) -> None:
        statuses = {}
        for fip in router.floating_ips:
            status = ACTIVE if fip.id in active else DOWN
            if fip.status != status:
                statuses[fip.id] = status
        if statuses:
            msg = UpdateFloatingIpStatuses(router_id=router.id, statuses=statuses)
            await self.plugin.call(RequestContext.admin(), msg)
