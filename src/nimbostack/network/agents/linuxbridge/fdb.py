"""l2population on a VXLAN device: which forwarding entries it should hold, and writing them.

A VXLAN network carries no multicast here: each peer VTEP gets an all-zero MAC entry
(broadcast and unknown frames are copied to every such entry) and each remote port's
MAC an entry pointing at its host's VTEP. The planning functions are pure; ``apply``
writes the outcome with ``bridge fdb``.
"""

from __future__ import annotations

from collections.abc import Iterable

from nimbostack.core import netdev
from nimbostack.core.netdev import FdbEntry
from nimbostack.network.agent_messages import TunnelPeer

FLOOD_MAC = "00:00:00:00:00:00"


def wanted(peers: Iterable[TunnelPeer], own_ip: str | None) -> set[FdbEntry]:
    """The entries a network's VXLAN device needs for these peers (own VTEP left out)."""
    entries: set[FdbEntry] = set()
    for peer in peers:
        if not peer.tunnel_ip or peer.tunnel_ip == own_ip:
            continue
        entries.add(FdbEntry(FLOOD_MAC, peer.tunnel_ip))
        entries.update(FdbEntry(port.mac, peer.tunnel_ip) for port in peer.ports)
    return entries


def plan(current: set[FdbEntry], target: set[FdbEntry]) -> tuple[list[FdbEntry], list[FdbEntry]]:
    """What to add and what to remove so the device holds exactly ``target``."""
    return sorted(target - current, key=_order), sorted(current - target, key=_order)


def additions(current: set[FdbEntry], tunnel_ip: str, mac: str) -> list[FdbEntry]:
    """Entries to add for one remote port: its MAC, and its VTEP's flood entry if new."""
    entries = {FdbEntry(FLOOD_MAC, tunnel_ip), FdbEntry(mac, tunnel_ip)}
    return sorted(entries - current, key=_order)


def removals(current: set[FdbEntry], tunnel_ip: str, mac: str) -> list[FdbEntry]:
    """Entries to remove for a departed remote port (its VTEP's flood entry if it was last)."""
    gone = FdbEntry(mac, tunnel_ip)
    found = [gone] if gone in current else []
    others = [e for e in current - {gone} if e.dst == tunnel_ip and e.mac != FLOOD_MAC]
    flood = FdbEntry(FLOOD_MAC, tunnel_ip)
    if not others and flood in current:
        found.append(flood)
    return found


async def apply(device: str, add: Iterable[FdbEntry], remove: Iterable[FdbEntry]) -> None:
    """Write the changes to the device: flood entries appended, MAC entries replaced."""
    for entry in remove:
        await netdev.fdb_delete(device, entry)
    for entry in add:
        await netdev.fdb_add(device, entry, append=entry.mac == FLOOD_MAC)


def _order(entry: FdbEntry) -> tuple[str, str]:
    return entry.dst, entry.mac
