"""``NftFirewall``: the L2 agent's security groups and anti-spoofing, on nftables.

The agent hands it the ports wired on the host (``DeviceDetails``); it asks network-
server for their groups (``GetSecurityGroupsInfo``) and rewrites the whole ruleset in
one ``nft -f -`` transaction (``ruleset.py``). A full rewrite keeps one code path for
resync, changes and removal: what is not wanted is gone after any call, and a host's
ruleset is small enough (a few chains per port) that nft replaces it in milliseconds.

Which ports are filtered: those with port security enabled, except the network's own
ports (``network:*`` owners such as DHCP and router ports, which must answer DHCP or
route for others). Every port's network still gets its conntrack zone.

Conntrack zones are per network, not per port. The inet hooks see bridged packets with
the bridge as both interfaces, so the zone must come from something both directions
share before conntrack runs: the bridge, which is the network. A zone per port would
need the request to be tracked in the sender's zone and the reply in the receiver's,
which conntrack cannot do for one connection. Two networks with the same addresses
never share a zone, so never share state; inside a network addresses are unique. Zones
are numbered from 1, kept for as long as the network has a port here, and read back
from the ruleset when the agent restarts, so established flows survive a restart.
Port indexes in packet marks only live for a packet's trip through the host, so they
are kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcClient, decode_reply
from nimbostack.network.agent_messages import (
    DeviceDetails,
    GetSecurityGroupsInfo,
    SecurityGroupsInfo,
    bridge_name,
)
from nimbostack.network.agents.firewall.nft import Nft, NftError
from nimbostack.network.agents.firewall.ruleset import Filtered, Wanted, removal, script

LOG = logging.getLogger(__name__)
TABLE = "nimbostack-sg"
MAX_INDEX = 0xFFFF
MAX_ZONE = 0xFFFF


def filtered(port: DeviceDetails) -> bool:
    """Whether the firewall filters this port (security groups and anti-spoofing)."""
    return port.port_security_enabled and not port.device_owner.startswith("network:")


class NftFirewall:
    """The firewall of one host's ports: one nftables ruleset, rewritten atomically."""

    def __init__(
        self, plugin: RpcClient, host: str, *, table: str = TABLE, netns: str | None = None
    ) -> None:
        self.plugin = plugin
        self.host = host
        self.table = table
        self.nft = Nft(netns)
        self.ports: dict[str, DeviceDetails] = {}
        self._indexes: dict[str, int] = {}
        self._zones: dict[str, int] | None = None
        self._bridge = ""  # the bridge table as last applied
        self._lock = asyncio.Lock()

    async def apply(self, ports: Sequence[DeviceDetails]) -> None:
        """The full set of wired ports on this host: make the ruleset match it."""
        async with self._lock:
            self.ports = {p.device: p for p in ports if p.port_id}
            self._bridge = ""  # a resync rewrites both tables, whatever was there
            await self._sync()

    async def groups_changed(
        self, group_ids: Sequence[str], ports: Sequence[DeviceDetails]
    ) -> None:
        """Rules or members of these groups changed: refilter the ports using them.

        ``ports`` replace what the firewall knew of the same devices. Every group in use
        here is asked for again, so ports naming a changed group as remote refilter too.
        """
        async with self._lock:
            self.ports.update((p.device, p) for p in ports if p.port_id)
            await self._sync()

    async def remove(self, device: str) -> None:
        """A port's device is gone: drop its chains and set elements."""
        async with self._lock:
            if self.ports.pop(device, None) is not None:
                await self._sync()

    async def clear(self) -> None:
        """Remove everything this firewall made (cleanup)."""
        async with self._lock:
            self._bridge = ""
            await self.nft.apply(removal(self.table))
            self.ports.clear()
            self._indexes.clear()
            self._zones = {}

    async def _sync(self) -> None:
        if not self.ports:
            # Nothing wired here: no tables at all, rather than empty ones left behind.
            await self.nft.apply(removal(self.table))
            self._bridge = ""
            self._zones = {}
            return
        ports = sorted(self.ports.values(), key=lambda p: p.port_id)
        chosen = [p for p in ports if filtered(p)]
        info = await self._info(sorted({g for p in chosen for g in p.security_group_ids}))
        wanted = Wanted(
            table=self.table,
            filtered=[Filtered(p, i) for p, i in zip(chosen, self._index(chosen), strict=True)],
            info=info,
            zones=await self._zoning(ports),
        )
        # Rendering hundreds of ports takes a while: not on the event loop.
        rendered = await asyncio.to_thread(script, wanted)
        # A change of rules or members leaves the bridge table (anti-spoofing, marks)
        # as it was: replacing only the inet table halves nft's work.
        same_ports = rendered.bridge == self._bridge
        try:
            await self.nft.apply(rendered.text(bridge=not same_ports))
        except NftError:
            if not same_ports:
                raise
            LOG.warning("firewall %s: replacing both tables after a failed update", self.table)
            await self.nft.apply(rendered.text())
        self._bridge = rendered.bridge

    async def _info(self, group_ids: list[str]) -> SecurityGroupsInfo:
        if not group_ids:
            return SecurityGroupsInfo()
        msg = GetSecurityGroupsInfo(security_group_ids=group_ids)
        return decode_reply(SecurityGroupsInfo, await self.plugin.call(RequestContext.admin(), msg))

    def _index(self, ports: list[DeviceDetails]) -> list[int]:
        """Each port's mark index: kept while it is here, the lowest free one if new."""
        wanted = {p.port_id for p in ports}
        self._indexes = {k: v for k, v in self._indexes.items() if k in wanted}
        return [self._indexes.get(p.port_id) or self._new_index(p.port_id) for p in ports]

    def _new_index(self, port_id: str) -> int:
        index = _lowest_free(set(self._indexes.values()), MAX_INDEX, "filtered ports")
        self._indexes[port_id] = index
        return index

    async def _zoning(self, ports: list[DeviceDetails]) -> dict[str, int]:
        """The conntrack zone of each network's bridge (read back after a restart)."""
        if self._zones is None:
            self._zones = await self._zones_in_ruleset()
        bridges = {bridge_name(p.network_id) for p in ports}
        zones = {b: z for b, z in self._zones.items() if b in bridges}
        for bridge in sorted(bridges - zones.keys()):
            zones[bridge] = _lowest_free(set(zones.values()), MAX_ZONE, "networks")
        self._zones = zones
        return dict(zones)

    async def _zones_in_ruleset(self) -> dict[str, int]:
        found = await self.nft.objects("list", "map", "inet", self.table, "sg-zones") or []
        zones: dict[str, int] = {}
        for obj in found:
            for key, zone in obj.get("map", {}).get("elem", []):
                zones[str(key)] = int(zone)
        return zones


def _lowest_free(taken: set[int], limit: int, what: str) -> int:
    for number in range(1, limit + 1):
        if number not in taken:
            return number
    raise RuntimeError(f"more than {limit} {what} on one host")
