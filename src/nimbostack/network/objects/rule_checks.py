"""What makes a security group rule valid, and when two rules are the same rule.

Protocols are names (``tcp``, ``icmp``...) or numbers 0-255; ``any`` means none. Two
rules are duplicates when they match the same traffic: protocol names and numbers
compare equal (``tcp`` is ``6``), and a remote prefix of everything equals none.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nimbostack.network import errors

PROTOCOLS = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ip": 0, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46,
    "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}  # fmt: skip
SUPPORTED = [*sorted(PROTOCOLS), "any"]
PORT_PROTOCOLS = {33, 132, 6, 17, 136}
PORT_PROTOCOL_NAMES = ("dccp", "sctp", "tcp", "udp", "udplite")
ICMP_PROTOCOLS = {1, 58}
IPV6_ONLY = {"ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts",
             "ipv6-route", "41", "44", "58", "59", "60", "43"}  # fmt: skip
ETHERTYPES = ("IPv4", "IPv6")
EVERYWHERE = ("0.0.0.0/0", "::/0")


def convert_protocol(value: Any) -> str | None:
    """The protocol as stored: a lower-case name, a number as text, or None for any."""
    if value is None or value == "any":
        return None
    if isinstance(value, bool):
        raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=SUPPORTED)
    try:
        number = int(value)
    except (TypeError, ValueError):
        if isinstance(value, str) and value.lower() in PROTOCOLS:
            return value.lower()
        raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=SUPPORTED) from None
    if 0 <= number <= 255:
        return str(number)
    raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=SUPPORTED)


def convert_ethertype(value: Any) -> str:
    if isinstance(value, str):
        for ethertype in ETHERTYPES:
            if ethertype.lower() == value.lower():
                return ethertype
    raise errors.HTTPBadRequest(
        f"Security group rule for ethertype '{value}' not supported. "
        f"Allowed values are {list(ETHERTYPES)}."
    )


def number(protocol: str | None) -> int | None:
    if protocol is None:
        return None
    return PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)


def canonical(rule: dict[str, Any]) -> None:
    """Neutron's rewrites: legacy IPv6 ICMP names, and the full port range as no range."""
    if rule["ethertype"] == "IPv6":
        if rule["protocol"] in ("icmp", "icmpv6"):
            rule["protocol"] = "ipv6-icmp"
        elif rule["protocol"] == "1":
            rule["protocol"] = "58"
    if rule.get("port_range_min") == 1 and rule.get("port_range_max") == 65535:
        rule["port_range_min"] = rule["port_range_max"] = None


def check(rule: dict[str, Any]) -> None:
    """Raise the 400 Neutron gives for an invalid rule (after ``canonical``)."""
    _check_ports(rule)
    prefix = rule.get("remote_ip_prefix")
    if prefix is not None:
        net = ipaddress.ip_network(prefix, strict=False)
        if rule["ethertype"] != f"IPv{net.version}":
            raise errors.SecurityGroupRuleParameterConflict(
                ethertype=rule["ethertype"], cidr=prefix
            )
    if rule["protocol"] in IPV6_ONLY and rule["ethertype"] == "IPv4":
        raise errors.SecurityGroupEthertypeConflictWithProtocol(
            ethertype=rule["ethertype"], protocol=rule["protocol"]
        )
    remotes = ("remote_ip_prefix", "remote_group_id", "remote_address_group_id")
    if sum(1 for key in remotes if rule.get(key) is not None) > 1:
        raise errors.SecurityGroupMultipleRemoteEntites()


def _check_ports(rule: dict[str, Any]) -> None:
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if low is None and high is None:
        return
    if rule["protocol"] is None:
        raise errors.SecurityGroupProtocolRequiredWithPorts()
    proto = number(rule["protocol"])
    if proto in PORT_PROTOCOLS:
        if low == 0 or high == 0:
            raise errors.SecurityGroupInvalidPortValue(port=0)
        if low is None or high is None or low > high:
            raise errors.SecurityGroupInvalidPortRange()
        for value in (low, high):
            if not 1 <= value <= 65535:
                raise errors.SecurityGroupInvalidPortValue(port=value)
    elif proto in ICMP_PROTOCOLS:
        for attr, field, value in (
            ("port_range_min", "type", low),
            ("port_range_max", "code", high),
        ):
            if value is not None and not 0 <= value <= 255:
                raise errors.SecurityGroupInvalidIcmpValue(field=field, attr=attr, value=value)
        if low is None and high is not None:
            raise errors.SecurityGroupMissingIcmpType(value=high)
    else:
        raise errors.SecurityGroupInvalidProtocolForPort(
            protocol=proto, valid_port_protocols=", ".join(p.upper() for p in PORT_PROTOCOL_NAMES)
        )


def key(rule: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two rules of one group the same rule."""
    prefix = rule.get("remote_ip_prefix")
    if prefix in EVERYWHERE:
        prefix = None
    elif prefix is not None:
        prefix = str(ipaddress.ip_network(prefix, strict=False))
    return (
        rule["direction"],
        rule["ethertype"],
        rule.get("port_range_max"),
        rule.get("port_range_min"),
        number(rule.get("protocol")),
        rule.get("remote_group_id"),
        rule.get("remote_address_group_id"),
        prefix,
    )


def normalized_cidr(prefix: str | None) -> str | None:
    return None if prefix is None else str(ipaddress.ip_network(prefix, strict=False))
