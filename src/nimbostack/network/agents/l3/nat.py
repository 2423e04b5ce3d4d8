"""A router namespace's nftables: NAT to the external network, floating IPs, metadata.

Pure functions of a ``RouterInfo``. The namespace has one ``ip`` table of its own,
replaced whole in one ``nft -f`` transaction on every change, so a floating IP that is
disassociated loses its rules in the same step that applies the rest:

- prerouting (dstnat): guests' 169.254.169.254:80 arriving on a ``qr-`` interface is
  redirected to the metadata proxy's port; each floating IP is DNATed to its fixed IP;
- output (dstnat): the same DNAT for connections made inside the namespace;
- postrouting (srcnat): each fixed IP with a floating IP leaves ``qg-`` as the floating
  IP; with ``enable_snat`` every other internal IPv4 address leaves as the gateway's;
- forward (filter): connections translated for a floating IP the router no longer has
  (``retired``) are dropped, so a disassociation also cuts the flows conntrack still
  translates, not only new ones.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from nimbostack.network.l3_messages import FloatingIpInfo, RouterInfo, RouterPortInfo

TABLE = "nimbostack-router"
METADATA_ADDRESS = "169.254.169.254"
METADATA_PORT = 80
GATEWAY_PREFIX = "qg-"
INTERFACE_PREFIX = "qr-"


def gateway_device(port: RouterPortInfo) -> str:
    """The gateway port's device in the namespace: ``qg-<port-id[:11]>``."""
    return f"{GATEWAY_PREFIX}{port.port_id[:11]}"


def interface_device(port: RouterPortInfo) -> str:
    """An interface port's device in the namespace: ``qr-<port-id[:11]>``."""
    return f"{INTERFACE_PREFIX}{port.port_id[:11]}"


def gateway_ipv4(router: RouterInfo) -> str | None:
    """The router's IPv4 address on the external network, if it has one."""
    if router.gateway is None:
        return None
    for address in router.gateway.addresses:
        if ipaddress.ip_address(address.ip_address).version == 4:
            return address.ip_address
    return None


def internal_ipv4_cidrs(router: RouterInfo) -> list[str]:
    """The IPv4 subnets behind the router's interfaces."""
    found = {
        address.cidr
        for port in router.interfaces
        for address in port.addresses
        if ipaddress.ip_network(address.cidr).version == 4
    }
    return sorted(found)


def floating_ips(router: RouterInfo) -> list[FloatingIpInfo]:
    """The router's IPv4 floating IPs that have a fixed IP to translate to (with a gateway)."""
    if router.gateway is None:
        return []
    return [
        fip
        for fip in router.floating_ips
        if fip.fixed_ip_address
        and fip.fixed_ip_address != "None"
        and ipaddress.ip_address(fip.floating_ip_address).version == 4
        and ipaddress.ip_address(fip.fixed_ip_address).version == 4
    ]


def ruleset(router: RouterInfo, metadata_port: int | None, retired: Iterable[str] = ()) -> str:
    """The ``nft -f`` script that makes the namespace's table what ``router`` needs;
    ``retired``: floating IPs it had, whose translated flows must stop."""
    pre: list[str] = []
    out: list[str] = []
    post: list[str] = []
    if metadata_port is not None and router.interfaces:
        pre.append(
            f'iifname "{INTERFACE_PREFIX}*" ip daddr {METADATA_ADDRESS} '
            f"tcp dport {METADATA_PORT} redirect to :{metadata_port}"
        )
    gateway = router.gateway
    if gateway is not None:
        qg = gateway_device(gateway)
        for fip in floating_ips(router):
            pre.append(f"ip daddr {fip.floating_ip_address} dnat to {fip.fixed_ip_address}")
            out.append(f"ip daddr {fip.floating_ip_address} dnat to {fip.fixed_ip_address}")
            post.append(
                f'oifname "{qg}" ip saddr {fip.fixed_ip_address} snat to {fip.floating_ip_address}'
            )
        address = gateway_ipv4(router)
        cidrs = internal_ipv4_cidrs(router)
        if router.enable_snat and address and cidrs:
            post.append(f'oifname "{qg}" ip saddr {{ {", ".join(cidrs)} }} snat to {address}')
    gone = sorted(set(retired) - {fip.floating_ip_address for fip in floating_ips(router)})
    cut = []
    if gone:
        addresses = ", ".join(gone)
        cut = [f"ct original ip daddr {{ {addresses} }} drop"]
        cut.append(f"ct reply ip daddr {{ {addresses} }} drop")
    return "\n".join(
        [
            f"table ip {TABLE}",
            f"delete table ip {TABLE}",
            f"table ip {TABLE} {{",
            *_chain("prerouting", "prerouting", "dstnat", pre),
            *_chain("output", "output", "-100", out),
            *_chain("postrouting", "postrouting", "srcnat", post),
            *_chain("forward", "forward", "filter", cut, kind="filter"),
            "}",
            "",
        ]
    )


def removal() -> str:
    """The script that removes the namespace's table (if any)."""
    return f"table ip {TABLE}\ndelete table ip {TABLE}\n"


def _chain(name: str, hook: str, priority: str, rules: list[str], kind: str = "nat") -> list[str]:
    return [
        f"    chain {name} {{",
        f"        type {kind} hook {hook} priority {priority}; policy accept;",
        *(f"        {rule}" for rule in rules),
        "    }",
    ]
