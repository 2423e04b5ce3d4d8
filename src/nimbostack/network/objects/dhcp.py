"""What DHCP agents read and write: a network as dnsmasq serves it, and the DHCP ports.

``network_info`` reads a network's subnets (DNS servers, host routes) and ports with
their addresses in one read transaction. ``ensure_port`` is get-or-create under the
network's row lock (the lock every port create takes), so two calls for one agent and
network make one port; the port is bound to the agent's host in the same transaction
(an ``L2`` block: that host's L2 agent wires its tap).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors
from nimbostack.network.db.models import (
    DnsNameServer,
    IPAllocation,
    Network,
    Port,
    Subnet,
    SubnetRoute,
)
from nimbostack.network.dhcp_messages import (
    DHCP_OWNER,
    FixedIp,
    HostRoute,
    NetworkInfo,
    PortInfo,
    SubnetInfo,
    dhcp_device_id,
)
from nimbostack.network.objects import binding, fixed_ips, networks, port_writes
from nimbostack.network.objects.fixed_ips import ROUTER_INTERFACES, Wanted
from nimbostack.network.objects.scope import Scope


async def network_info(s: AsyncSession, network_id: str, host: str, dns_domain: str) -> NetworkInfo:
    """The network as the host's DHCP agent serves it (``id`` empty if it is gone)."""
    net = await s.get(Network, network_id)
    if net is None:
        return NetworkInfo(id="")
    subnets = await _subnets(s, network_id)
    ports = await _ports(s, network_id)
    mine = dhcp_device_id(host, network_id)
    dhcp_port = next((p for p, device in ports if device == mine), None)
    return NetworkInfo(
        id=net.id,
        mtu=net.mtu,
        dns_domain=net.dns_domain.strip(".") or dns_domain,
        subnets=subnets,
        ports=[p for p, _ in ports],
        dhcp_port=dhcp_port,
        isolated=not any(p.device_owner in ROUTER_INTERFACES for p, _ in ports),
    )


async def _subnets(s: AsyncSession, network_id: str) -> list[SubnetInfo]:
    rows = list(
        await s.scalars(
            select(Subnet).where(Subnet.network_id == network_id).order_by(Subnet.created_at)
        )
    )
    ids = [row.id for row in rows]
    dns: dict[str, list[str]] = defaultdict(list)
    for sub, address in await s.execute(
        select(DnsNameServer.subnet_id, DnsNameServer.address)
        .where(DnsNameServer.subnet_id.in_(ids))
        .order_by(DnsNameServer.subnet_id, DnsNameServer.order)
    ):
        dns[sub].append(address)
    routes: dict[str, list[HostRoute]] = defaultdict(list)
    for sub, dest, nexthop in await s.execute(
        select(SubnetRoute.subnet_id, SubnetRoute.destination, SubnetRoute.nexthop)
        .where(SubnetRoute.subnet_id.in_(ids))
        .order_by(SubnetRoute.subnet_id, SubnetRoute.destination)
    ):
        routes[sub].append(HostRoute(dest, nexthop))
    return [
        SubnetInfo(
            id=row.id,
            cidr=row.cidr,
            ip_version=row.ip_version,
            gateway_ip=row.gateway_ip,
            enable_dhcp=row.enable_dhcp,
            dns_nameservers=dns[row.id],
            host_routes=routes[row.id],
            ipv6_ra_mode=row.ipv6_ra_mode,
            ipv6_address_mode=row.ipv6_address_mode,
        )
        for row in rows
    ]


async def _ports(s: AsyncSession, network_id: str) -> list[tuple[PortInfo, str]]:
    """The network's ports, each with its device id."""
    ips: dict[str, list[FixedIp]] = defaultdict(list)
    for port_id, subnet_id, address in await s.execute(
        select(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        .where(IPAllocation.network_id == network_id)
        .order_by(IPAllocation.port_id, IPAllocation.subnet_id, IPAllocation.ip_address)
    ):
        ips[port_id].append(FixedIp(subnet_id, address))
    rows = await s.scalars(select(Port).where(Port.network_id == network_id).order_by(Port.id))
    return [(_port_info(row, ips[row.id]), row.device_id) for row in rows]


def _port_info(row: Port, ips: list[FixedIp]) -> PortInfo:
    return PortInfo(
        id=row.id,
        mac_address=row.mac_address,
        fixed_ips=ips,
        hostname=row.dns_name or _hostname(ips),
        device_owner=row.device_owner,
        admin_state_up=row.admin_state_up,
    )


def _hostname(ips: list[FixedIp]) -> str:
    # Neutron's default host name: the first address, dots and colons made dashes.
    if not ips:
        return ""
    return "host-" + ips[0].ip_address.replace(".", "-").replace(":", "-")


async def ensure_port(
    s: AsyncSession, conf: Config, network_id: str, host: str, down_time: float
) -> tuple[PortInfo, bool]:
    """The host's DHCP port on the network, with an address on every served subnet.

    Returns the port (``id`` empty: the network is gone or serves no DHCP) and whether
    it was made or given an address now (its host's L2 agent must then hear of it).
    """
    try:
        net = await networks.lock(s, Scope.admin(), network_id)
    except errors.NetworkNotFound:
        return PortInfo(id="", mac_address=""), False
    where = await fixed_ips.on_network(s, net)
    served = [sub for sub in where.subnets if _served(sub)]
    if not served:
        return PortInfo(id="", mac_address=""), False
    device_id = dhcp_device_id(host, network_id)
    port = await s.scalar(
        select(Port).where(
            Port.network_id == network_id,
            Port.device_owner == DHCP_OWNER,
            Port.device_id == device_id,
        )
    )
    changed = port is None
    if port is None:
        item = {
            "project_id": net.project_id,
            "network_id": network_id,
            "device_owner": DHCP_OWNER,
            "device_id": device_id,
            "binding:host_id": host,
            "fixed_ips": [{"subnet_id": sub.id} for sub in served],
        }
        port_id = await port_writes.create(s, conf, Scope.admin(), item)
        await binding.bind(s, port_id, down_time)
        port = await s.get(Port, port_id)
        assert port is not None
    else:
        changed = await _address_every_subnet(s, where, port, served)
    held = await s.execute(
        select(IPAllocation.subnet_id, IPAllocation.ip_address)
        .where(IPAllocation.port_id == port.id)
        .order_by(IPAllocation.subnet_id, IPAllocation.ip_address)
    )
    return _port_info(port, [FixedIp(sub, ip) for sub, ip in held]), changed


async def _address_every_subnet(
    s: AsyncSession, where: fixed_ips.OnNetwork, port: Port, served: list[Subnet]
) -> bool:
    """Give an existing DHCP port an address on the served subnets it lacks."""
    have = set(
        await s.scalars(select(IPAllocation.subnet_id).where(IPAllocation.port_id == port.id))
    )
    missing = [Wanted(sub) for sub in served if sub.id not in have]
    if not missing:
        return False
    await fixed_ips.take(
        s, where, missing, port_id=port.id, mac=port.mac_address, device_owner=DHCP_OWNER
    )
    await s.flush()
    return True


async def release_port(s: AsyncSession, network_id: str, host: str) -> str | None:
    """Delete the host's DHCP port on the network; its id, if there was one."""
    port_id: str | None = await s.scalar(
        delete(Port)
        .where(
            Port.network_id == network_id,
            Port.device_owner == DHCP_OWNER,
            Port.device_id == dhcp_device_id(host, network_id),
        )
        .returning(Port.id)
    )
    return port_id


def _served(sub: Subnet) -> bool:
    info = SubnetInfo(
        id=sub.id,
        cidr=sub.cidr,
        ip_version=sub.ip_version,
        enable_dhcp=sub.enable_dhcp,
        ipv6_address_mode=sub.ipv6_address_mode,
    )
    return info.served
