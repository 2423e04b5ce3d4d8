"""Security group rules as nftables match expressions, and the sets of remote addresses.

A rule becomes one line of a port's ``ingress-<port>`` or ``egress-<port>`` chain:
its family (``meta nfproto``), its remote (a prefix, or the named set of a remote group
or address group, source for ingress and destination for egress), its protocol and
port range or ICMP type and code. Remote sets are named after the group's id and the
IP version: ``rg4-<group>``/``rg6-<group>`` (member ports' addresses) and
``ag4-<address-group>``/``ag6-<address-group>``.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from nimbostack.network.agent_messages import SecurityGroupRuleInfo

# IANA numbers of the protocol names the API accepts (anything else arrives as a number).
PROTOCOL_NUMBERS = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ip": 0, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46,
    "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}  # fmt: skip
# Protocols whose header starts with source and destination ports (``th dport``).
PORTED = {6, 17, 33, 132, 136}
ICMP = 1
ICMPV6 = 58

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class AddressSet:
    """A named set of addresses of one IP version (a remote group or an address group)."""

    name: str
    version: int
    elements: tuple[Network, ...]

    def render(self) -> str:
        kind = "ipv4_addr" if self.version == 4 else "ipv6_addr"
        body = f"type {kind}; flags interval;"
        if self.elements:
            body += " elements = { " + ", ".join(map(str, self.elements)) + " };"
        return f"set {self.name} {{ {body} }}"


def set_name(kind: str, version: int, group_id: str) -> str:
    """``rg4-<id>``: the set of a remote group (``rg``) or address group (``ag``)."""
    return f"{kind}{version}-{group_id}"


def collapse(addresses: Iterable[str], version: int) -> tuple[Network, ...]:
    """The addresses (or CIDRs) of one version, merged so no two elements overlap."""
    return _collapse(tuple(addresses), version)


@functools.lru_cache(maxsize=8192)
def _collapse(addresses: tuple[str, ...], version: int) -> tuple[Network, ...]:
    # Every rewrite renders every port again: the same addresses, parsed once.
    nets = [ipaddress.ip_network(a, strict=False) for a in addresses]
    same = [n for n in nets if n.version == version]
    return tuple(ipaddress.collapse_addresses(same))  # type: ignore[type-var]


def address_sets(kind: str, groups: dict[str, list[str]]) -> list[AddressSet]:
    """Both versions' sets of each group, empty ones too (rules name them all)."""
    return [
        AddressSet(set_name(kind, version, group_id), version, collapse(addresses, version))
        for group_id, addresses in sorted(groups.items())
        for version in (4, 6)
    ]


def match(rule: SecurityGroupRuleInfo) -> str:
    """The nft match of one rule (no verdict)."""
    v4 = rule.ethertype == "IPv4"
    parts = ["meta nfproto ipv4" if v4 else "meta nfproto ipv6"]
    remote = _remote(rule, v4)
    if remote:
        parts.append(remote)
    parts.extend(_protocol(rule))
    return " ".join(parts)


def _remote(rule: SecurityGroupRuleInfo, v4: bool) -> str:
    field = ("ip " if v4 else "ip6 ") + ("saddr" if rule.direction == "ingress" else "daddr")
    version = 4 if v4 else 6
    if rule.remote_group_id:
        return f"{field} @{set_name('rg', version, rule.remote_group_id)}"
    if rule.remote_address_group_id:
        return f"{field} @{set_name('ag', version, rule.remote_address_group_id)}"
    if rule.remote_ip_prefix:
        prefix = ipaddress.ip_network(rule.remote_ip_prefix, strict=False)
        if prefix.prefixlen:
            return f"{field} {prefix}"
    return ""


def protocol_number(protocol: str) -> int:
    """A stored protocol (a name or a number as text) as its number."""
    if protocol in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[protocol]
    return int(protocol)


def _protocol(rule: SecurityGroupRuleInfo) -> list[str]:
    if rule.protocol is None:
        return []
    number = protocol_number(rule.protocol)
    if number == 0 and rule.protocol in ("ip", "hopopt", "0"):
        return []  # Neutron's "ip" (0) means any protocol
    parts = [f"meta l4proto {number}"]
    low, high = rule.port_range_min, rule.port_range_max
    if number in PORTED and low is not None:
        ports = str(low) if high is None or high == low else f"{low}-{high}"
        parts.append(f"th dport {ports}")
    elif number in (ICMP, ICMPV6) and low is not None:
        word = "icmp" if number == ICMP else "icmpv6"
        parts.append(f"{word} type {low}")
        if high is not None:
            parts.append(f"{word} code {high}")
    return parts
