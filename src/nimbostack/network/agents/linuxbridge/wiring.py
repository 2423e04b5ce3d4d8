"""Wiring a network's devices on the host, per network type, and taking them away.

A network gets the bridge ``brq<net-id[:11]>`` and its segment device on it: the
``vxlan-<vni>`` device (learning off: l2population writes its entries), the VLAN
sub-interface ``<physdev>.<vid>`` of the mapped interface, or for a flat network the
mapped interface itself. A flat network on a physical network of ``bridge_mappings``
uses that existing bridge as is. Every device made here is labelled with its owner
(``naming.owner_alias``); removal deletes only labelled devices.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nimbostack.core import netdev
from nimbostack.network.agent_messages import AgentConfiguration, DeviceDetails, bridge_name
from nimbostack.network.agents.linuxbridge.naming import (
    owned_network,
    owner_alias,
    vlan_name,
    vxlan_name,
)

VXLAN_PORT = 4789  # IANA's, not the kernel's default 8472
Maker = Callable[[], Awaitable[None]]


class WiringError(Exception):
    """The host cannot wire the network as asked (missing mapping, device in the way)."""


async def ensure_network(details: DeviceDetails, config: AgentConfiguration, host: str) -> str:
    """Make the port's network bridge and segment device where missing; the bridge's name."""
    kind = details.network_type
    physnet = details.physical_network or ""
    if kind == "flat" and physnet in config.bridge_mappings:
        bridge = config.bridge_mappings[physnet]
        if await netdev.link(bridge) is None:
            raise WiringError(f"bridge {bridge} of physical network {physnet} does not exist")
        return bridge
    if kind not in ("vxlan", "vlan", "flat"):
        raise WiringError(f"network type {kind!r} cannot be wired by this agent")
    alias = owner_alias(host, details.network_id)
    bridge = bridge_name(details.network_id)
    await _ensure(bridge, alias, lambda: netdev.add_bridge(bridge))
    if kind == "vxlan":
        await _ensure_vxlan(details, config, alias, bridge)
    elif kind == "vlan":
        await _ensure_vlan(details, config, alias, bridge)
    else:
        await _plug_interface(_mapped(config, physnet), bridge)
    await netdev.set_up(bridge)
    return bridge


async def plug_tap(tap: str, bridge: str, mtu: int) -> None:
    """Put a port's tap on its bridge, with the network's MTU, and up."""
    await netdev.set_mtu(tap, mtu)
    await netdev.set_master(tap, bridge)
    await netdev.set_up(tap)


async def unplug_tap(tap: str) -> None:
    """Take a tap off its bridge (the tap itself belongs to its guest)."""
    found = await netdev.link(tap)
    if found is not None and found.master:
        await _nomaster(tap)


async def _nomaster(tap: str) -> None:
    """Take the tap off its bridge; a tap gone meanwhile (its guest deleted) is off it."""
    try:
        await netdev.set_master(tap, None)
    except netdev.NetdevError:
        if await netdev.link(tap) is not None:
            raise


async def unplug_stray(tap: str, host: str, config: AgentConfiguration) -> bool:
    """Take a tap no port of this host claims off a bridge this agent serves; whether it was."""
    found = await netdev.link(tap)
    if found is None or not found.master:
        return False
    bridge = await netdev.link(found.master)
    ours = bridge is not None and owned_network(bridge.alias, host) is not None
    if not ours and found.master not in config.bridge_mappings.values():
        return False
    await _nomaster(tap)
    return True


def owned(links: dict[str, netdev.Link], host: str) -> dict[str, list[str]]:
    """The devices ``host``'s agent made, by network (segment devices before bridges)."""
    found: dict[str, list[str]] = {}
    for link in sorted(links.values(), key=lambda found: found.kind == "bridge"):
        network_id = owned_network(link.alias, host)
        if network_id is not None:
            found.setdefault(network_id, []).append(link.name)
    return found


async def remove_network(network_id: str, host: str) -> list[str]:
    """Delete the devices ``host``'s agent made for the network; their names."""
    devices = owned(await netdev.links(), host).get(network_id, [])
    for name in devices:
        await netdev.delete(name)
    return devices


async def _ensure_vxlan(
    details: DeviceDetails, config: AgentConfiguration, alias: str, bridge: str
) -> None:
    vni = details.segmentation_id
    if vni is None or not config.tunneling_ip:
        raise WiringError("a VXLAN network needs a segmentation id and the host's tunneling IP")
    name = vxlan_name(vni)
    local = config.tunneling_ip

    async def make() -> None:
        await netdev.add_vxlan(name, vni, local=local, dstport=VXLAN_PORT, mtu=details.mtu)

    await _ensure(name, alias, make)
    await netdev.set_master(name, bridge)
    await netdev.set_up(name)


async def _ensure_vlan(
    details: DeviceDetails, config: AgentConfiguration, alias: str, bridge: str
) -> None:
    parent = _mapped(config, details.physical_network or "")
    if details.segmentation_id is None:
        raise WiringError("a VLAN network needs a segmentation id")
    try:
        name = vlan_name(parent, details.segmentation_id)
    except ValueError as exc:
        raise WiringError(str(exc)) from None
    vid = details.segmentation_id
    await netdev.set_up(parent)
    await _ensure(name, alias, lambda: netdev.add_vlan(name, parent, vid))
    await netdev.set_master(name, bridge)
    await netdev.set_up(name, mtu=details.mtu)


async def _plug_interface(interface: str, bridge: str) -> None:
    found = await netdev.link(interface)
    if found is None:
        raise WiringError(f"interface {interface} does not exist")
    if found.master not in (None, bridge):
        raise WiringError(f"interface {interface} is already on bridge {found.master}")
    await netdev.set_master(interface, bridge)
    await netdev.set_up(interface)


def _mapped(config: AgentConfiguration, physnet: str) -> str:
    interface = config.interface_mappings.get(physnet)
    if not interface:
        raise WiringError(f"physical network {physnet!r} has no interface on this host")
    return interface


async def _ensure(name: str, alias: str, make: Maker) -> None:
    """Make the device (labelled ``alias``) unless this agent already did."""
    found = await netdev.link(name)
    if found is None:
        await make()
        await netdev.set_alias(name, alias)
    elif found.alias != alias:
        raise WiringError(f"device {name} exists and was not made by this agent for this network")
