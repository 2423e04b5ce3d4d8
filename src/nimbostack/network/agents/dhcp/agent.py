"""The DHCP agent of one host: keeps a dnsmasq serving each network the server gives it.

It reports itself on ``network.plugin`` (``DHCP agent``), serves ``network.dhcp`` (and
its host topic) and asks ``network.dhcp_plugin`` for what to serve. Every change is
handled the same way, one network at a time: read the network's ``NetworkInfo``, make
sure of the DHCP port, the namespace and dnsmasq (``network_server.py``), then tell the
server which ports dnsmasq now serves (``DhcpReady``). Notifications for one network
coalesce: while a sync runs, later ones wait and are handled by one more sync. A
periodic resync adopts what runs, serves what is missing and removes networks that are
no longer hosted (their dnsmasq, namespace and files).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from nimbostack.core.context import RequestContext
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, decode_reply, handles
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration
from nimbostack.network.agents import reporting
from nimbostack.network.agents.dhcp.config import Settings
from nimbostack.network.agents.dhcp.network_server import NetworkServer, hosted_on_disk
from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.dhcp_messages import (
    DHCP_AGENT,
    DHCP_PLUGIN,
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

LOG = logging.getLogger(__name__)
SERVICE = "network-dhcp-agent"
# Seconds before a network whose sync failed is tried again.
RETRY_DELAY = 5.0


class DhcpAgent:
    """The DHCP agent of ``host``, keeping its state under ``data_dir/dhcp``."""

    def __init__(
        self,
        transport: Transport,
        host: str,
        data_dir: Path,
        settings: Settings,
        *,
        report_interval: float = 10.0,
        resync_interval: float = 60.0,
        proxies: NamespaceProxies | None = None,
    ) -> None:
        self.host = host
        self.root = data_dir / "dhcp"
        self.settings = settings
        self.proxies = proxies
        self.plugin = RpcClient(transport, PLUGIN, timeout=30, service=SERVICE)
        self.dhcp = RpcClient(transport, DHCP_PLUGIN, timeout=30, service=SERVICE)
        self.server = RpcServer(transport, DHCP_AGENT, self, service=SERVICE, host=host)
        self.hosted: set[str] = set()
        # Per network: what dnsmasq served when last reported ready, port by port.
        self.reported: dict[str, dict[str, tuple[str, ...]]] = {}
        self._pending: dict[str, set[str]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._retries: dict[str, asyncio.TimerHandle] = {}
        self._reports = PeriodicTask(f"dhcp agent report {host}", report_interval, self.report)
        self._resyncs = PeriodicTask(f"dhcp agent resync {host}", resync_interval, self.resync)

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        await self.server.start()
        await self.report(start=True)
        self._reports.start()
        await self._resyncs.run_once()
        self._resyncs.start()

    async def stop(self) -> None:
        """Stop serving RPC; dnsmasq keeps running for the next agent to adopt."""
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
        config = AgentConfiguration(devices=len(self.hosted))
        await reporting.report_state(self.plugin, reporting.DHCP, self.host, config, start)

    # ---------------------------------------------------------- notifications
    @handles(NetworkChanged)
    async def network_changed(self, ctxt: RequestContext, msg: NetworkChanged) -> None:
        self.hosted.add(msg.network_id)
        self.kick(msg.network_id)

    @handles(PortChanged)
    async def port_changed(self, ctxt: RequestContext, msg: PortChanged) -> None:
        self.hosted.add(msg.network_id)
        self.kick(msg.network_id, msg.port_id)

    @handles(PortRemoved)
    async def port_removed(self, ctxt: RequestContext, msg: PortRemoved) -> None:
        self.kick(msg.network_id)

    @handles(NetworkRemoved)
    async def network_removed(self, ctxt: RequestContext, msg: NetworkRemoved) -> None:
        self.hosted.discard(msg.network_id)
        self.kick(msg.network_id)

    # ---------------------------------------------------------- syncing
    def kick(self, network_id: str, port_id: str | None = None) -> None:
        """Sync the network soon (once more if a sync of it is running)."""
        self._pending.setdefault(network_id, set()).update([port_id] if port_id else [])
        if network_id not in self._workers:
            task = asyncio.create_task(self._work(network_id), name=f"dhcp sync {network_id}")
            self._workers[network_id] = task

    async def idle(self) -> None:
        """Wait until no sync is pending or running."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def _work(self, network_id: str) -> None:
        try:
            while network_id in self._pending:
                named = self._pending.pop(network_id)
                try:
                    await self.sync_network(network_id, named)
                except Exception:
                    LOG.exception("DHCP for network %s failed; retrying", network_id)
                    self._retry_later(network_id, named)
        finally:
            self._workers.pop(network_id, None)

    def _retry_later(self, network_id: str, named: set[str]) -> None:
        if network_id in self._retries:
            return

        def retry() -> None:
            del self._retries[network_id]
            self._pending.setdefault(network_id, set()).update(named)
            self.kick(network_id)

        loop = asyncio.get_running_loop()
        self._retries[network_id] = loop.call_later(RETRY_DELAY, retry)

    async def resync(self) -> None:
        """Serve every hosted network; remove what serves networks no longer hosted."""
        ctxt = RequestContext.admin()
        active = await self.dhcp.call(ctxt, GetActiveNetworks(host=self.host))
        self.hosted = set(active)
        # What this agent made is what its state directory records: namespaces alone
        # could belong to another cloud or agent on the same machine.
        here = set(hosted_on_disk(self.root))
        for network_id in sorted(self.hosted | here):
            self.kick(network_id)
        await self.idle()

    async def sync_network(self, network_id: str, named: set[str]) -> None:
        """Bring the network's DHCP in line with the server, then report ports ready."""
        ctxt = RequestContext.admin()
        server = NetworkServer(network_id, self.root, self.settings, self.proxies)
        info = NetworkInfo(id="")
        if network_id in self.hosted:
            raw = await self.dhcp.call(ctxt, GetNetworkInfo(network_id, self.host))
            info = decode_reply(NetworkInfo, raw)
        if not info.id or not server.serves(info):
            await server.remove(info.dhcp_port.id if info.dhcp_port else None)
            self.reported.pop(network_id, None)
            if info.dhcp_port is not None:  # the network stays, with nothing to serve
                await self.dhcp.call(ctxt, ReleaseDhcpPort(network_id, self.host))
            return
        port = info.dhcp_port
        if port is None or not server.port_complete(info, port):
            raw = await self.dhcp.call(ctxt, CreateDhcpPort(network_id, self.host))
            port = decode_reply(PortInfo, raw)
            if not port.id:
                return
        served = await server.apply(info, port)
        await self._report_ready(network_id, served, named)

    async def _report_ready(
        self, network_id: str, served: dict[str, tuple[str, ...]], named: set[str]
    ) -> None:
        before = self.reported.get(network_id, {})
        ready = [p for p, entry in served.items() if before.get(p) != entry or p in named]
        if ready:
            msg = DhcpReady(port_ids=sorted(ready), host=self.host)
            await self.dhcp.call(RequestContext.admin(), msg)
        self.reported[network_id] = served


def agent_settings(options: Any) -> Settings:
    """The dnsmasq settings of a ``[network_dhcp]`` section."""
    return Settings(
        lease_duration=int(options.lease_duration),
        dns_servers=tuple(str(s) for s in options.dnsmasq_dns_servers),
        isolated_metadata=bool(options.enable_isolated_metadata),
    )
