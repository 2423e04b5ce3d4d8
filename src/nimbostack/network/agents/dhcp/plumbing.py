"""A network's DHCP namespace and port: ``qdhcp-<net-id>`` with a veth into it.

The veth's host end is the DHCP port's tap, ``tap<port-id[:11]>``, which the host's L2
agent plugs into the network's bridge (this module never touches a bridge); its peer,
``ns-<port-id[:11]>``, sits in the namespace with the port's MAC, the network's MTU
and the port's fixed IPs (plus 169.254.169.254/32 where the namespace answers
metadata). Removing the namespace removes the veth with it.
"""

from __future__ import annotations

import ipaddress
from typing import Protocol

from nimbostack.core import netdev
from nimbostack.network.agent_messages import tap_name
from nimbostack.network.agents.dhcp.config import METADATA_CIDR
from nimbostack.network.dhcp_messages import PortInfo, SubnetInfo, namespace_name, ns_device_name

NAMESPACE_PREFIX = "qdhcp-"


class NamespaceProxies(Protocol):
    """The metadata proxies run in namespaces (one per DHCP or router namespace)."""

    async def ensure(
        self, namespace: str, *, network_id: str | None = None, router_id: str | None = None
    ) -> None: ...

    async def remove(self, namespace: str) -> None: ...


def wanted_addresses(port: PortInfo, subnets: list[SubnetInfo], metadata: bool) -> set[str]:
    """The ``address/prefix`` list of the namespace's interface."""
    prefixes = {sub.id: ipaddress.ip_network(sub.cidr).prefixlen for sub in subnets}
    found = {
        f"{ip.ip_address}/{prefixes[ip.subnet_id]}"
        for ip in port.fixed_ips
        if ip.subnet_id in prefixes
    }
    if metadata:
        found.add(METADATA_CIDR)
    return found


async def plug(
    network_id: str, port: PortInfo, subnets: list[SubnetInfo], mtu: int, metadata: bool
) -> str:
    """Make (or correct) the namespace and the DHCP port's veth; the inside device's name."""
    ns = namespace_name(network_id)
    await netdev.add_namespace(ns)
    tap, inside = tap_name(port.id), ns_device_name(port.id)
    await _drop_other_ports(ns, inside)
    found = await netdev.link(inside, ns)
    if found is None:
        await _delete_device(tap)  # a host end left by an interrupted plug
        await netdev.add_veth(tap, inside, peer_netns=ns)
    if found is None or found.address != port.mac_address:
        await netdev.set_down(inside, ns)
        await netdev.set_address(inside, port.mac_address, ns)
    await netdev.set_up(tap, mtu=mtu)
    await netdev.set_up(inside, mtu=mtu, netns=ns)
    await _set_addresses(ns, inside, wanted_addresses(port, subnets, metadata))
    return inside


async def _drop_other_ports(ns: str, keep: str) -> None:
    """Remove veths of an earlier DHCP port of this network (its peer goes with it)."""
    for name in await netdev.links(ns):
        if name.startswith("ns-") and name != keep:
            await netdev.delete(name, ns)


async def _set_addresses(ns: str, device: str, wanted: set[str]) -> None:
    have = {a for a in await netdev.addresses(device, ns) if not a.startswith("fe80:")}
    for cidr in sorted(wanted - have):
        await netdev.add_address(device, cidr, ns)
    for cidr in sorted(have - wanted):
        await netdev.delete_address(device, cidr, ns)


async def unplug(network_id: str, port_id: str | None = None) -> None:
    """Remove the DHCP port's veth, then the network's namespace."""
    if port_id:
        await _delete_device(tap_name(port_id))
    await netdev.delete_namespace(namespace_name(network_id))


async def _delete_device(name: str) -> None:
    # The kernel removes a veth whose peer's namespace is gone on its own, a moment
    # later: the device may vanish between the check and the delete.
    try:
        await netdev.delete(name)
    except netdev.NetdevError:
        if await netdev.link(name) is not None:
            raise
