"""What makes a subnet valid: Neutron's checks of versions, gateway, DHCP and IPv6 modes.

Each function raises the 400 Neutron would (``InvalidInput`` mostly) and changes nothing.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nimbostack.network import errors


def invalid(message: str) -> errors.InvalidInput:
    return errors.InvalidInput(error_message=message)


def check_version(ip_version: int, address: str, name: str) -> None:
    if ipaddress.ip_network(address, strict=False).version != ip_version:
        raise invalid(f"{name} '{address}' does not match the ip_version '{ip_version}'")


def default_gateway(cidr: str) -> str | None:
    net = ipaddress.ip_network(cidr)
    if net.num_addresses <= 2 and net.version == 4:
        return None
    return str(net.network_address + 1)


def check_gateway(cidr: str, gateway: str) -> None:
    """The gateway must be an address of the subnet (not its v4 network or broadcast)."""
    net = ipaddress.ip_network(cidr)
    gw = ipaddress.ip_address(gateway)
    if gw.version != net.version:
        raise invalid(f"gateway_ip '{gateway}' does not match the ip_version '{net.version}'")
    outside = gw not in net
    reserved = net.version == 4 and gw in (net.network_address, net.broadcast_address)
    if outside or reserved:
        raise invalid("Gateway is not valid on subnet")


def check_cidr(cidr: str, enable_dhcp: bool) -> None:
    net = ipaddress.ip_network(cidr)
    if net.prefixlen == 0:
        raise invalid("0 is not allowed as CIDR prefix length")
    if net.version == 6 and int(net.network_address) == 0:
        raise invalid("IPv6 subnet '::' is not supported")
    if not enable_dhcp:
        return
    if (net.version == 4 and net.prefixlen > 30) or (net.version == 6 and net.prefixlen > 126):
        raise invalid("Subnet has a prefix length that is incompatible with DHCP service enabled")
    if net.is_multicast:
        raise invalid("Multicast IP subnet is not supported if enable_dhcp is True")
    if net.is_loopback:
        raise invalid("Loopback IP subnet is not supported if enable_dhcp is True")
    if net.version == 4 and int(net.network_address) == 0:
        raise invalid("First IP '0.0.0.0' of network is not supported if enable_dhcp is True.")


def check_dns(servers: list[str], limit: int, version: int, subnet_id: str) -> None:
    if len(servers) > limit:
        raise errors.DNSNameServersExhausted(subnet_id=subnet_id, quota=limit)
    for server in servers:
        check_version(version, server, "dns_nameserver")


def check_routes(routes: list[dict[str, str]], limit: int, version: int, subnet_id: str) -> None:
    if len(routes) > limit:
        raise errors.HostRoutesExhausted(subnet_id=subnet_id, quota=limit)
    for route in routes:
        check_version(version, route["destination"], "destination")
        check_version(version, route["nexthop"], "nexthop")


def check_ipv6_modes(item: dict[str, Any], version: int, cidr: str | None) -> None:
    ra_mode, address_mode = item.get("ipv6_ra_mode"), item.get("ipv6_address_mode")
    if version == 4:
        if ra_mode is not None:
            raise invalid("ipv6_ra_mode is not valid when ip_version is 4")
        if address_mode is not None:
            raise invalid("ipv6_address_mode is not valid when ip_version is 4")
        return
    if (ra_mode or address_mode) and not item.get("enable_dhcp", True):
        raise invalid(
            "ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False"
        )
    if ra_mode and address_mode and ra_mode != address_mode:
        raise invalid(
            f"ipv6_ra_mode set to '{ra_mode}' with ipv6_address_mode set to '{address_mode}' "
            "is not valid. If both attributes are set, they must be the same value"
        )
    auto = (address_mode or ra_mode) in ("slaac", "dhcpv6-stateless")
    if auto and cidr is not None and ipaddress.ip_network(cidr).prefixlen != 64:
        raise invalid(
            f"Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the EUI-64 address "
            "format, which requires the prefix to be /64"
        )


def check_overlap(cidr: str, others: list[str], network_id: str) -> None:
    new = ipaddress.ip_network(cidr)
    for other in others:
        net = ipaddress.ip_network(other)
        if net.version == new.version and net.overlaps(new):
            raise invalid(
                f"Requested subnet with cidr: {cidr} for network: {network_id} overlaps "
                "with another subnet"
            )
