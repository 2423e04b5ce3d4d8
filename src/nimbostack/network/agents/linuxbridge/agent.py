"""The Linux-bridge L2 agent of one host: finds port taps, wires them, reports them up.

On start it reports itself (``start_flag``), then resyncs: every ``tap*`` device of
the host is asked about and wired if its port is bound here, and devices it made for
networks with no port left here are removed. Afterwards it looks at the host's taps
every ``polling_interval`` seconds and hears the server's casts. Wiring a port makes
the network's devices (``wiring``), puts the tap on the bridge, lets the firewall
apply, writes the VXLAN forwarding entries of a network new here (``fdb``), and only
then reports the device up. All device work runs under one lock, one step at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Coroutine
from typing import Any

from nimbostack.core import netdev
from nimbostack.core.context import RequestContext
from nimbostack.core.periodic import PeriodicTask
from nimbostack.core.rpc import Message, RpcClient, RpcServer, Transport, handles
from nimbostack.network.agent_messages import (
    L2_AGENT,
    PLUGIN,
    AgentConfiguration,
    DeviceDetails,
    FdbAdd,
    FdbRemove,
    GetDeviceDetails,
    GetTunnelPeers,
    NetworkDelete,
    PeerPort,
    PortDelete,
    PortUpdate,
    SecurityGroupsChanged,
    TunnelPeer,
    UpdateDeviceDown,
    UpdateDeviceUp,
    tap_name,
)
from nimbostack.network.agents import reporting
from nimbostack.network.agents.linuxbridge import fdb, taps, wiring
from nimbostack.network.agents.linuxbridge.firewall import PortFirewall
from nimbostack.network.agents.linuxbridge.naming import vxlan_name

LOG = logging.getLogger(__name__)
SERVICE = "network-l2-agent"


class LinuxBridgeAgent:
    """The L2 agent of ``host``: the agents' contract, with the host's real devices."""

    def __init__(
        self,
        transport: Transport,
        host: str,
        config: AgentConfiguration,
        firewall: PortFirewall | None,
        *,
        report_interval: float = 30.0,
        polling_interval: float = 0.3,
    ) -> None:
        self.host = host
        self.config = config
        self.firewall = firewall
        self.polling_interval = polling_interval
        self.plugin = RpcClient(transport, PLUGIN, timeout=30, service=SERVICE)
        self.server = RpcServer(transport, L2_AGENT, self, service=SERVICE, host=host)
        self.wired: dict[str, DeviceDetails] = {}  # tap -> what it was wired with
        self.seen: dict[str, int] = {}  # the host's taps at the last look, by index
        self.synced: set[str] = set()  # VXLAN networks whose forwarding entries are written
        self._lock = asyncio.Lock()
        self._reports = PeriodicTask(f"l2 agent report {host}", report_interval, self.report)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        await self.server.start()
        await self.report(start=True)
        await self.resync()
        self._reports.start()
        self._spawn(self._watch(), "watch taps")

    async def stop(self) -> None:
        await self._reports.stop()
        await self.server.stop()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def report(self, start: bool = False) -> None:
        """Tell the server this agent is alive, with what it can wire."""
        config = dataclasses.replace(self.config, devices=len(self.wired))
        await reporting.report_state(self.plugin, reporting.LINUXBRIDGE, self.host, config, start)

    async def resync(self) -> None:
        """Wire every tap bound here, then remove the devices of networks left empty."""
        self.seen = await taps.host_taps()
        for tap in sorted(self.seen):
            await self.wire(tap)
        async with self._lock:
            owned = wiring.owned(await netdev.links(), self.host)
            for network_id in owned.keys() - self._networks():
                LOG.info("removing stale devices of network %s", network_id)
                await self._remove_network(network_id)

    async def poll(self) -> None:
        """Look at the host's taps once: wire the new ones, forget the vanished ones."""
        now = await taps.host_taps()
        appeared, vanished = taps.changes(self.seen, now)
        self.seen = now
        for tap in vanished:
            await self._release(tap, report=True)
        for tap in appeared:
            await self.wire(tap)

    # -- wiring ---------------------------------------------------------------------
    async def wire(self, tap: str) -> None:
        """Ask about a tap and wire it, leave it unplugged, or take it down."""
        try:
            found = await self._ask(tap)
            if not found.port_id:  # not a port bound here: off our bridges, else alone
                await self._release(tap, report=False)
                async with self._lock:
                    await wiring.unplug_stray(tap, self.host, self.config)
            elif not found.admin_state_up:
                await self._release(tap, report=False)
                await self._call(UpdateDeviceDown(device=tap, host=self.host))
            elif await self._plug(tap, found):
                await self._call(UpdateDeviceUp(device=tap, host=self.host))
        except Exception:
            LOG.exception("L2 agent on %s could not wire %s", self.host, tap)

    async def _plug(self, tap: str, found: DeviceDetails) -> bool:
        """Wire the tap and its network; whether it is there to report up."""
        async with self._lock:
            if await netdev.link(tap) is None:
                return False
            try:
                bridge = await wiring.ensure_network(found, self.config, self.host)
                await wiring.plug_tap(tap, bridge, found.mtu)
            except Exception:
                # The tap can vanish while its network is made (its guest or its DHCP
                # namespace gone meanwhile): devices made for no wired port go again.
                if found.network_id not in self._networks():
                    await self._remove_network(found.network_id)
                raise
            self.wired[tap] = found
            if self.firewall is not None:
                await self.firewall.apply(list(self.wired.values()))
        # Every wiring of a port waits for its network's entries, so no port of a
        # network new here is reported up before traffic can reach its peers.
        if found.network_type == "vxlan" and found.network_id not in self.synced:
            await self._sync_fdb(found)
        return True

    async def _release(self, tap: str, *, report: bool) -> None:
        """Unwire a tap: off its bridge, out of the firewall, its network gone if empty."""
        async with self._lock:
            found = self.wired.pop(tap, None)
            if found is None:
                return
            if self.firewall is not None:
                await self.firewall.remove(tap)
                await self.firewall.apply(list(self.wired.values()))
            await wiring.unplug_tap(tap)
            if found.network_id not in self._networks():
                await self._remove_network(found.network_id)
        if report:
            await self._call(UpdateDeviceDown(device=tap, host=self.host))

    async def _sync_fdb(self, found: DeviceDetails) -> None:
        """Make the network's VXLAN device hold exactly the entries of its peers."""
        raw = await self._call(GetTunnelPeers(network_id=found.network_id, host=self.host))
        peers = [_peer(item) for item in raw or []]
        assert found.segmentation_id is not None
        device = vxlan_name(found.segmentation_id)
        async with self._lock:
            if found.network_id not in self._networks():
                return
            current = await netdev.fdb_entries(device)
            add, remove = fdb.plan(current, fdb.wanted(peers, self.config.tunneling_ip))
            await fdb.apply(device, add, remove)
            self.synced.add(found.network_id)

    async def _remove_network(self, network_id: str) -> None:
        """Delete the network's devices made here (under the lock)."""
        self.synced.discard(network_id)
        await wiring.remove_network(network_id, self.host)

    def _networks(self) -> set[str]:
        return {found.network_id for found in self.wired.values()}

    # -- the server's casts ---------------------------------------------------------
    @handles(PortUpdate)
    async def port_update(self, ctxt: RequestContext, msg: PortUpdate) -> None:
        tap = tap_name(msg.port_id)
        if tap in self.wired or await netdev.link(tap) is not None:
            self._spawn(self.wire(tap), f"wire {tap}")

    @handles(PortDelete)
    async def port_delete(self, ctxt: RequestContext, msg: PortDelete) -> None:
        await self._release(tap_name(msg.port_id), report=False)

    @handles(NetworkDelete)
    async def network_delete(self, ctxt: RequestContext, msg: NetworkDelete) -> None:
        for tap, found in list(self.wired.items()):
            if found.network_id == msg.network_id:
                await self._release(tap, report=False)
        async with self._lock:
            await self._remove_network(msg.network_id)

    @handles(SecurityGroupsChanged)
    async def security_groups_changed(
        self, ctxt: RequestContext, msg: SecurityGroupsChanged
    ) -> None:
        changed = set(msg.security_group_ids)
        # The server names the groups that use a changed group as remote too, so a
        # host none of whose ports is in a named group has nothing to refilter.
        if self.firewall is None or not any(
            changed.intersection(port.security_group_ids) for port in self.wired.values()
        ):
            return
        async with self._lock:
            await self.firewall.groups_changed(msg.security_group_ids, list(self.wired.values()))

    @handles(FdbAdd)
    async def fdb_add(self, ctxt: RequestContext, msg: FdbAdd) -> None:
        async with self._lock:
            device = self._vxlan_of(msg)
            if device is not None:
                current = await netdev.fdb_entries(device)
                await fdb.apply(device, fdb.additions(current, msg.tunnel_ip, msg.mac), [])

    @handles(FdbRemove)
    async def fdb_remove(self, ctxt: RequestContext, msg: FdbRemove) -> None:
        async with self._lock:
            device = self._vxlan_of(msg)
            if device is not None:
                current = await netdev.fdb_entries(device)
                await fdb.apply(device, [], fdb.removals(current, msg.tunnel_ip, msg.mac))

    def _vxlan_of(self, msg: FdbAdd | FdbRemove) -> str | None:
        """The VXLAN device a remote port's entry goes on, if its network is wired here."""
        if msg.tunnel_ip == self.config.tunneling_ip or msg.network_id not in self._networks():
            return None
        return vxlan_name(msg.segmentation_id)

    # -- plumbing -------------------------------------------------------------------
    async def _ask(self, tap: str) -> DeviceDetails:
        raw = await self._call(GetDeviceDetails(device=tap, host=self.host))
        assert isinstance(raw, dict)
        known = {f.name for f in dataclasses.fields(DeviceDetails)}
        return DeviceDetails(**{k: v for k, v in raw.items() if k in known})

    async def _call(self, msg: Message) -> Any:
        return await self.plugin.call(RequestContext.admin(), msg)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.polling_interval)  # the polling period itself
            try:
                await self.poll()
            except Exception:
                LOG.exception("L2 agent on %s could not look at the host's taps", self.host)

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _peer(raw: Any) -> TunnelPeer:
    """A ``TunnelPeer`` from its JSON form (a call's result arrives as plain JSON)."""
    ports = [PeerPort(mac=str(p["mac"]), ips=list(p.get("ips", []))) for p in raw["ports"]]
    return TunnelPeer(tunnel_ip=str(raw["tunnel_ip"]), ports=ports)
