"""A router's namespace and ports: ``qrouter-<router-id>`` with a veth per router port.

Each port's veth has its host end named as a port's tap, ``tap<port-id[:11]>``, which
the host's L2 agent plugs into the port's network bridge (the external network's is
the mapped bridge, ``br-ex``); this module never touches a bridge. The namespace end is
``qr-<port-id[:11]>`` for an interface and ``qg-<port-id[:11]>`` for the gateway, with
the port's MAC, the network's MTU and the port's addresses (the gateway also carries
each floating IP as a /32). Routes are the default route via the external subnet's
gateway and the router's extra routes. Every call is idempotent: it corrects what is
there and removes what is no longer wanted.
"""

from __future__ import annotations

import ipaddress
import json
import logging

from nimbostack.core import netdev
from nimbostack.core.process import run
from nimbostack.network.agent_messages import tap_name
from nimbostack.network.agents.l3 import nat
from nimbostack.network.l3_messages import RouterInfo, RouterPortInfo

LOG = logging.getLogger(__name__)
NAMESPACE_PREFIX = "qrouter-"
TIMEOUT = 30.0
ARP_TIMEOUT = 5.0
DEFAULT = {4: "0.0.0.0/0", 6: "::/0"}


def wanted_ports(router: RouterInfo) -> dict[str, tuple[RouterPortInfo, set[str]]]:
    """The namespace's devices: name -> (port, ``address/prefix`` set)."""
    found: dict[str, tuple[RouterPortInfo, set[str]]] = {}
    for port in router.interfaces:
        found[nat.interface_device(port)] = (port, _cidrs(port))
    if router.gateway is not None:
        fips = {f"{fip.floating_ip_address}/32" for fip in nat.floating_ips(router)}
        found[nat.gateway_device(router.gateway)] = (router.gateway, _cidrs(router.gateway) | fips)
    return found


def _cidrs(port: RouterPortInfo) -> set[str]:
    return {f"{a.ip_address}/{ipaddress.ip_network(a.cidr).prefixlen}" for a in port.addresses}


def wanted_routes(router: RouterInfo) -> set[tuple[str, str]]:
    """(destination, next hop) of the namespace: the default route and the extra routes."""
    found: set[tuple[str, str]] = set()
    if router.gateway is not None:
        for address in router.gateway.addresses:
            if address.gateway_ip:
                version = ipaddress.ip_address(address.gateway_ip).version
                if all(dest != DEFAULT[version] for dest, _ in found):
                    found.add((DEFAULT[version], address.gateway_ip))
    for route in router.routes:
        found.add((str(ipaddress.ip_network(route.destination, strict=False)), route.nexthop))
    return found


async def plug(namespace: str, router: RouterInfo) -> list[str]:
    """Make the namespace and its ports as ``router`` says; the floating IPs just added."""
    await netdev.add_namespace(namespace)
    await _forwarding(namespace)
    wanted = wanted_ports(router)
    for name in await netdev.links(namespace):
        if name.startswith((nat.INTERFACE_PREFIX, nat.GATEWAY_PREFIX)) and name not in wanted:
            await netdev.delete(name, namespace)  # its host end goes with it
    added: list[str] = []
    for name, (port, cidrs) in wanted.items():
        added += await _plug_port(namespace, name, port, cidrs)
    await _set_routes(namespace, wanted_routes(router))
    return [cidr.split("/", 1)[0] for cidr in added if cidr.endswith("/32")]


async def _forwarding(namespace: str) -> None:
    for key in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"):
        argv = ["ip", "netns", "exec", namespace, "sysctl", "-qw", key]
        done = await run(*argv, timeout=TIMEOUT)
        if done.returncode:
            raise netdev.NetdevError(f"{namespace}: {key}: {done.reason()}")


async def _plug_port(
    namespace: str, inside: str, port: RouterPortInfo, cidrs: set[str]
) -> list[str]:
    tap = tap_name(port.port_id)
    found = await netdev.link(inside, namespace)
    if found is None:
        await delete_device(tap)  # a host end left by an interrupted plug
        await netdev.add_veth(tap, inside, peer_netns=namespace)
    if found is None or found.address != port.mac_address:
        await netdev.set_down(inside, namespace)
        await netdev.set_address(inside, port.mac_address, namespace)
    mtu = port.mtu or None
    await netdev.set_up(tap, mtu=mtu)
    await netdev.set_up(inside, mtu=mtu, netns=namespace)
    have = {a for a in await netdev.addresses(inside, namespace) if not a.startswith("fe80:")}
    for cidr in sorted(cidrs - have):
        await netdev.add_address(inside, cidr, namespace)
    for cidr in sorted(have - cidrs):
        await netdev.delete_address(inside, cidr, namespace)
    return sorted(cidrs - have)


async def _routes(namespace: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for family in ("-4", "-6"):
        out = await netdev.ip("-j", family, "route", "show", netns=namespace)
        for route in json.loads(out or "[]"):
            if "gateway" not in route:
                continue
            dest = str(route["dst"])
            if dest == "default":
                dest = DEFAULT[4 if family == "-4" else 6]
            found.add((str(ipaddress.ip_network(dest, strict=False)), str(route["gateway"])))
    return found


async def _set_routes(namespace: str, wanted: set[tuple[str, str]]) -> None:
    have = await _routes(namespace)
    for dest, via in sorted(have - wanted):
        await netdev.ip("route", "del", dest, "via", via, netns=namespace, check=False)
    for dest, via in sorted(wanted - have):
        try:
            await netdev.ip("route", "replace", dest, "via", via, netns=namespace)
        except netdev.NetdevError as exc:
            # A next hop no interface reaches (yet): the other routes still apply.
            LOG.warning("%s: route %s via %s not set: %s", namespace, dest, via, exc)


async def announce(namespace: str, device: str, address: str) -> None:
    """Send a gratuitous ARP for ``address`` from ``device`` (neighbours update their caches)."""
    argv = ["ip", "netns", "exec", namespace, "busybox", "arping", "-U", "-c", "1"]
    try:
        done = await run(*argv, "-I", device, address, timeout=ARP_TIMEOUT)
    except OSError as exc:
        LOG.warning("%s: no gratuitous ARP for %s: %r", namespace, address, exc)
        return
    if done.returncode:
        LOG.warning("%s: no gratuitous ARP for %s: %s", namespace, address, done.reason())


async def unplug(namespace: str) -> None:
    """Remove the router's devices (their host ends with them), then its namespace."""
    if namespace in await netdev.namespaces():
        for name in await netdev.links(namespace):
            if name.startswith((nat.INTERFACE_PREFIX, nat.GATEWAY_PREFIX)):
                await netdev.delete(name, namespace)
        await netdev.delete_namespace(namespace)


async def delete_device(name: str) -> None:
    # The kernel removes a veth whose peer went away on its own, a moment later: the
    # device may vanish between the check and the delete.
    try:
        await netdev.delete(name)
    except netdev.NetdevError:
        if await netdev.link(name) is not None:
            raise
