"""A port's fixed IPs: which subnets and addresses a request asks for, and taking them.

Without ``fixed_ips`` a port gets one address from the first IPv4 subnet that has one
free, one from the first IPv6 subnet that hands out addresses (static or DHCPv6
stateful), and its EUI-64 address on every SLAAC subnet. With ``fixed_ips`` it gets
what each entry names: a subnet (any free address of it), an address (on the subnet
holding it), or both; a new port also gets its EUI-64 address on the SLAAC subnets no
entry names, as Neutron does. The caller holds the network's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import errors, ipam
from nimbostack.network.db.models import IPAllocation, Network, Subnet
from nimbostack.network.ipam import Pool
from nimbostack.network.objects import subnets as subnet_queries

ROUTER_INTERFACES = ("network:router_interface", "network:router_interface_distributed")


@dataclass
class OnNetwork:
    """The locked network a port is made on, with its subnets and their pools."""

    net: Network
    subnets: list[Subnet]
    pools: dict[str, list[Pool]]

    def subnet(self, subnet_id: str) -> Subnet | None:
        return next((sub for sub in self.subnets if sub.id == subnet_id), None)


_SUBNETS = (
    select(Subnet)
    .where(Subnet.network_id == bindparam("net_id"))
    .order_by(Subnet.created_at, Subnet.id)
)


async def on_network(s: AsyncSession, net: Network) -> OnNetwork:
    found = list(await s.scalars(_SUBNETS, {"net_id": net.id}))
    return OnNetwork(net, found, await subnet_queries.pools_of(s, found))


@dataclass(frozen=True)
class Wanted:
    """One fixed IP to take: on ``subnet``, ``address`` or any free (or EUI-64) one."""

    subnet: Subnet
    address: str | None = None


def requested(entries: list[dict[str, Any]], where: OnNetwork, device_owner: str) -> list[Wanted]:
    """The fixed IPs a request names, checked against the network's subnets."""
    wanted: list[Wanted] = []
    for entry in entries:
        subnet_id, address = entry.get("subnet_id"), entry.get("ip_address")
        if subnet_id is not None:
            subnet = where.subnet(subnet_id)
            if subnet is None:
                raise errors.InvalidInput(
                    error_message=f"Failed to create port on network {where.net.id}, because "
                    f"fixed_ips included invalid subnet {subnet_id}"
                )
            if address is not None and not ipam.in_subnet(subnet.cidr, address, device_owner):
                raise errors.InvalidIpForSubnet(ip_address=address)
        elif address is not None:
            subnet = next(
                (sub for sub in where.subnets if ipam.in_subnet(sub.cidr, address, device_owner)),
                None,
            )
            if subnet is None:
                raise errors.InvalidIpForNetwork(ip_address=address)
        else:
            raise errors.InvalidInput(
                error_message="IP allocation requires subnet_id or ip_address"
            )
        if address is not None and ipam.is_auto_address(subnet):
            raise errors.AllocationOnAutoAddressSubnet(ip=address, subnet_id=subnet.id)
        wanted.append(Wanted(subnet, address))
    pairs = [(w.subnet.id, w.address) for w in wanted if w.address is not None]
    if len(set(pairs)) != len(pairs):
        raise errors.InvalidInput(error_message="Duplicate IP address in fixed_ips")
    return wanted


async def take(
    s: AsyncSession,
    where: OnNetwork,
    wanted: list[Wanted] | None,
    *,
    port_id: str,
    mac: str,
    device_owner: str,
    new_port: bool = False,
) -> list[dict[str, str]]:
    """Take the addresses (``None``: the default ones) and record them for the port."""
    taken: list[tuple[Subnet, str]] = []
    if wanted is None:
        taken = await _defaults(s, where, mac, device_owner)
    else:
        for item in wanted:
            taken.append((item.subnet, await _one(s, where, item, mac)))
        if new_port and device_owner not in ROUTER_INTERFACES:
            named = {item.subnet.id for item in wanted}
            taken.extend(
                (sub, ipam.eui64(sub.cidr, mac))
                for sub in where.subnets
                if ipam.is_auto_address(sub) and sub.id not in named
            )
    s.add_all(
        IPAllocation(subnet_id=sub.id, ip_address=addr, port_id=port_id, network_id=where.net.id)
        for sub, addr in taken
    )
    return [{"subnet_id": sub.id, "ip_address": addr} for sub, addr in taken]


async def _one(s: AsyncSession, where: OnNetwork, item: Wanted, mac: str) -> str:
    subnet = item.subnet
    if item.address is not None:
        await ipam.check_free(s, subnet.id, item.address)
        return item.address
    if ipam.is_auto_address(subnet):
        return ipam.eui64(subnet.cidr, mac)
    return await ipam.allocate(s, subnet, where.pools[subnet.id], where.net.id)


async def _defaults(
    s: AsyncSession, where: OnNetwork, mac: str, device_owner: str
) -> list[tuple[Subnet, str]]:
    taken: list[tuple[Subnet, str]] = []
    for version in (4, 6):
        pooled = [
            sub
            for sub in where.subnets
            if sub.ip_version == version and not ipam.is_auto_address(sub)
        ]
        if pooled:
            taken.append(await _first_free(s, where, pooled))
    if device_owner not in ROUTER_INTERFACES:
        taken.extend(
            (sub, ipam.eui64(sub.cidr, mac)) for sub in where.subnets if ipam.is_auto_address(sub)
        )
    return taken


async def _first_free(
    s: AsyncSession, where: OnNetwork, candidates: list[Subnet]
) -> tuple[Subnet, str]:
    for subnet in candidates:
        try:
            return subnet, await ipam.allocate(s, subnet, where.pools[subnet.id], where.net.id)
        except errors.IpAddressGenerationFailure:
            continue
    raise errors.IpAddressGenerationFailure(net_id=where.net.id)
