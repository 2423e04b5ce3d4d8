"""dnsmasq's configuration for one network: its command line, hosts file and options file.

Pure functions of the server's ``NetworkInfo``. Each served subnet gets a static
``--dhcp-range`` tagged ``subnet-<id>`` (dnsmasq hands out only the addresses of the
hosts file, never a pool of its own); the options file sets, per tag, the router, the
DNS servers, the MTU (option 26) and the classless static routes (option 121, and 249
for older Windows clients) that carry host routes and, on an isolated network, the
route to the metadata address through the DHCP port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from nimbostack.network.dhcp_messages import (
    DHCPV6_STATEFUL,
    HostRoute,
    NetworkInfo,
    PortInfo,
    SubnetInfo,
)

METADATA_IP = "169.254.169.254"
METADATA_CIDR = f"{METADATA_IP}/32"
DEFAULT_V4 = "0.0.0.0/0"


@dataclass(frozen=True)
class Files:
    """Where one network's dnsmasq keeps its state: ``<data>/dhcp/<net-id>/``."""

    root: Path

    @property
    def pid(self) -> Path:
        return self.root / "pid"

    @property
    def hosts(self) -> Path:
        return self.root / "host"

    @property
    def opts(self) -> Path:
        return self.root / "opts"

    @property
    def leases(self) -> Path:
        return self.root / "leases"


@dataclass(frozen=True)
class Settings:
    """The agent's options that shape dnsmasq."""

    lease_duration: int = 86400
    dns_servers: tuple[str, ...] = ()
    isolated_metadata: bool = True


def tag(subnet: SubnetInfo) -> str:
    return f"subnet-{subnet.id}"


def served(info: NetworkInfo) -> list[SubnetInfo]:
    """The subnets dnsmasq serves (DHCP on, IPv4 or DHCPv6)."""
    return [sub for sub in info.subnets if sub.served]


def metadata_here(info: NetworkInfo, settings: Settings) -> bool:
    """Whether the DHCP namespace answers metadata (an isolated network with IPv4)."""
    has_v4 = any(sub.ip_version == 4 for sub in served(info))
    return settings.isolated_metadata and info.isolated and has_v4


def argv(info: NetworkInfo, interface: str, files: Files, settings: Settings) -> list[str]:
    """dnsmasq's command line (run inside the network's namespace)."""
    args = [
        "dnsmasq",
        "--conf-file=/dev/null",
        "--no-hosts",
        "--no-resolv",
        f"--pid-file={files.pid}",
        f"--dhcp-hostsfile={files.hosts}",
        f"--dhcp-optsfile={files.opts}",
        f"--dhcp-leasefile={files.leases}",
        f"--interface={interface}",
        "--except-interface=lo",
        "--bind-interfaces",
        "--dhcp-authoritative",
        "--no-ping",
        # The state files sit in the cloud's private data directory, which the
        # unprivileged user dnsmasq would switch to cannot read on a SIGHUP.
        "--user=root",
        # From the subnets, not the ports: a port added must not change the command line.
        f"--dhcp-lease-max={_lease_max(served(info))}",
    ]
    if info.dns_domain:
        args.append(f"--domain={info.dns_domain}")
    if settings.dns_servers:
        args += [f"--server={server}" for server in settings.dns_servers]
    else:
        args.append("--port=0")
    for sub in served(info):
        net = ipaddress.ip_network(sub.cidr)
        mask = str(net.netmask) if net.version == 4 else str(net.prefixlen)
        args.append(
            f"--dhcp-range=set:{tag(sub)},{net.network_address},static,{mask},"
            f"{settings.lease_duration}s"
        )
    return args


def _lease_max(subnets: list[SubnetInfo]) -> int:
    return sum(min(ipaddress.ip_network(sub.cidr).num_addresses, 1 << 16) for sub in subnets)


def hosts(info: NetworkInfo) -> str:
    """The hosts file: one ``MAC,hostname,IP`` line per served address of each port."""
    subnets = {sub.id: sub for sub in served(info)}
    lines = []
    for port in info.ports:
        for ip in _served_ips(port, subnets):
            address = f"[{ip}]" if ":" in ip else ip
            lines.append(f"{port.mac_address},{port.hostname},{address}")
    return "".join(f"{line}\n" for line in lines)


def hosted_ports(info: NetworkInfo) -> dict[str, tuple[str, ...]]:
    """The ports with a host entry, each with its MAC and addresses (what was served)."""
    subnets = {sub.id: sub for sub in served(info)}
    found = {}
    for port in info.ports:
        ips = _served_ips(port, subnets)
        if ips:
            found[port.id] = (port.mac_address, *ips)
    return found


def _served_ips(port: PortInfo, subnets: dict[str, SubnetInfo]) -> list[str]:
    if not port.admin_state_up or not port.hostname:
        return []
    return [
        ip.ip_address
        for ip in port.fixed_ips
        if ip.subnet_id in subnets
        and (subnets[ip.subnet_id].ip_version == 4 or _stateful(subnets[ip.subnet_id]))
    ]


def _stateful(sub: SubnetInfo) -> bool:
    return sub.ipv6_address_mode == DHCPV6_STATEFUL


def opts(info: NetworkInfo, dhcp_port: PortInfo, settings: Settings) -> str:
    """The options file: per subnet tag, router, DNS, MTU and classless routes."""
    own = {ip.subnet_id: ip.ip_address for ip in dhcp_port.fixed_ips}
    metadata = metadata_here(info, settings)
    lines = []
    for sub in served(info):
        dns = sub.dns_nameservers or _own_dns(sub, own, settings)
        if sub.ip_version == 6:
            if dns:
                lines.append(_opt(sub, "option6:dns-server", *(f"[{d}]" for d in dns)))
            continue
        lines.append(_opt(sub, "option:router", *([sub.gateway_ip] if sub.gateway_ip else [])))
        if dns:
            lines.append(_opt(sub, "option:dns-server", *dns))
        lines.append(_opt(sub, "option:mtu", str(info.mtu)))
        routes = _classless(sub, own.get(sub.id) if metadata else None)
        if routes:
            flat = [part for route in routes for part in (route.destination, route.nexthop)]
            lines.append(_opt(sub, "option:classless-static-route", *flat))
            lines.append(_opt(sub, "249", *flat))
    return "".join(f"{line}\n" for line in lines)


def _own_dns(sub: SubnetInfo, own: dict[str, str], settings: Settings) -> list[str]:
    """dnsmasq itself, when it answers DNS and the subnet names no server."""
    return [own[sub.id]] if settings.dns_servers and sub.id in own else []


def _opt(sub: SubnetInfo, name: str, *values: str) -> str:
    return ",".join([f"tag:{tag(sub)}", name, *values])


def _classless(sub: SubnetInfo, metadata_via: str | None) -> list[HostRoute]:
    """Option 121's routes: clients that take it ignore the router option, so the
    default route is repeated in it."""
    routes = list(sub.host_routes)
    if metadata_via and not any(r.destination == METADATA_CIDR for r in routes):
        routes.insert(0, HostRoute(METADATA_CIDR, metadata_via))
    if not routes:
        return []
    if sub.gateway_ip and not any(r.destination == DEFAULT_V4 for r in routes):
        routes.append(HostRoute(DEFAULT_V4, sub.gateway_ip))
    return routes
