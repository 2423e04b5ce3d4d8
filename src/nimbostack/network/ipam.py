"""IP address management: allocation pools, free-address search, EUI-64 and MAC addresses.

Addresses come from a subnet's allocation pools, searched next-fit from where the last
allocation stopped (``Subnet.next_ip``) and wrapping around: a create usually checks
one batch of candidates in one query, and a freed address is reused only after the
pool has been gone through once. The (subnet, address) primary key of
``ipallocations`` is what finally guarantees that two ports never share an address;
callers hold the network's lock, so the search sees every committed allocation.
SLAAC subnets do not allocate: the address is the prefix plus the MAC's EUI-64.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from nimbostack.network import errors
from nimbostack.network.db.models import IPAllocation, Subnet

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AUTO_ADDRESS_MODES = ("slaac", "dhcpv6-stateless")
_FIRST_BATCH = 32
_MAX_BATCH = 4096


@dataclass(frozen=True)
class Pool:
    """One allocation pool, as integers for arithmetic."""

    first: int
    last: int
    version: int = 4

    @property
    def start(self) -> str:
        return str(_addr(self.first, self.version))

    @property
    def end(self) -> str:
        return str(_addr(self.last, self.version))

    def view(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}

    def __str__(self) -> str:
        return f"{self.start}-{self.end}"


def _addr(value: int, version: int) -> IPAddress:
    if version == 6:
        return ipaddress.IPv6Address(value)
    return ipaddress.IPv4Address(value)


def usable_range(cidr: str) -> tuple[int, int]:
    """The addresses of a subnet a pool may hold (not v4 network/broadcast, not v6 anycast)."""
    net = ipaddress.ip_network(cidr)
    first, last = int(net.network_address), int(net.broadcast_address)
    if first == last:
        return first, last
    if net.version == 4:
        return (first + 1, last - 1) if net.prefixlen <= 30 else (first, last)
    return first + 1, last


def default_pools(cidr: str, gateway: str | None) -> list[Pool]:
    """The whole usable range, minus the gateway."""
    version = ipaddress.ip_network(cidr).version
    first, last = usable_range(cidr)
    if gateway is None:
        return [Pool(first, last, version)]
    gw = int(ipaddress.ip_address(gateway))
    if not first <= gw <= last:
        return [Pool(first, last, version)]
    halves = (Pool(first, gw - 1, version), Pool(gw + 1, last, version))
    return [p for p in halves if p.first <= p.last]


def check_pools(pools: list[Pool], cidr: str, gateway: str | None) -> None:
    """Pools inside the subnet, not overlapping, not holding the gateway (Neutron's checks)."""
    net = ipaddress.ip_network(cidr)
    low, high = usable_range(cidr)
    for pool in pools:
        if pool.first > pool.last:
            raise errors.InvalidAllocationPool(pool=str(pool))
        if pool.first < low or pool.last > high:
            raise errors.OutOfBoundsAllocationPool(pool=str(pool), subnet_cidr=str(net))
    ordered = sorted(pools, key=lambda p: p.first)
    for left, right in itertools.pairwise(ordered):
        if right.first <= left.last:
            raise errors.OverlappingAllocationPools(
                pool_1=str(left), pool_2=str(right), subnet_cidr=str(net)
            )
    if gateway is not None:
        gw = int(ipaddress.ip_address(gateway))
        for pool in pools:
            if pool.first <= gw <= pool.last:
                raise errors.GatewayConflictWithAllocationPools(ip_address=gateway, pool=str(pool))


def parse_pool(start: str, end: str, version: int) -> Pool:
    first, last = ipaddress.ip_address(start), ipaddress.ip_address(end)
    if first.version != version or last.version != version:
        raise errors.InvalidAllocationPool(pool=f"{start}-{end}")
    return Pool(int(first), int(last), version)


def pool_size(pools: list[Pool]) -> int:
    return sum(p.last - p.first + 1 for p in pools)


def eui64(cidr: str, mac: str) -> str:
    """The SLAAC address of ``mac`` on a /64 (the MAC's modified EUI-64 interface id)."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    interface = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    net = ipaddress.IPv6Network(cidr)
    return str(ipaddress.IPv6Address(int(net.network_address) | int.from_bytes(bytes(interface))))


def is_auto_address(subnet: Subnet) -> bool:
    """Whether ports get their address on the subnet from SLAAC (never from a pool)."""
    modes = (subnet.ipv6_address_mode, subnet.ipv6_ra_mode)
    return subnet.ip_version == 6 and any(m in AUTO_ADDRESS_MODES for m in modes)


def random_mac(base: str) -> str:
    """``base`` with its last three octets chosen at random (Neutron's default layout)."""
    octets = base.lower().split(":")[:3]
    return ":".join([*octets, *(f"{random.getrandbits(8):02x}" for _ in range(3))])


def _candidates(pools: list[Pool], start: int) -> Iterator[int]:
    """Every pool address once, from ``start`` to the end, then from the beginning."""
    ordered = sorted(pools, key=lambda p: p.first)
    for pool in ordered:
        if pool.last >= start:
            yield from range(max(start, pool.first), pool.last + 1)
    for pool in ordered:
        if pool.first >= start:
            break
        yield from range(pool.first, min(pool.last, start - 1) + 1)


async def next_free(s: AsyncSession, subnet: Subnet, pools: list[Pool]) -> str | None:
    """The first free pool address from the subnet's cursor on, or None if all are taken."""
    start = int(ipaddress.ip_address(subnet.next_ip)) if subnet.next_ip else 0
    batch_size = _FIRST_BATCH
    batch: list[str] = []
    for value in _candidates(pools, start):
        batch.append(str(_addr(value, subnet.ip_version)))
        if len(batch) >= batch_size:
            found = await _first_untaken(s, subnet.id, batch)
            if found is not None:
                return found
            batch, batch_size = [], min(batch_size * 4, _MAX_BATCH)
    return await _first_untaken(s, subnet.id, batch) if batch else None


_TAKEN = select(IPAllocation.ip_address).where(
    IPAllocation.subnet_id == bindparam("subnet_id"),
    IPAllocation.ip_address.in_(bindparam("batch", expanding=True)),
)
_MOVE_CURSOR = (
    update(Subnet)
    .where(Subnet.id == bindparam("subnet_id"))
    .values(next_ip=bindparam("next_ip"))
    .execution_options(synchronize_session=False)
)


async def _first_untaken(s: AsyncSession, subnet_id: str, batch: list[str]) -> str | None:
    taken = set(await s.scalars(_TAKEN, {"subnet_id": subnet_id, "batch": batch}))
    return next((c for c in batch if c not in taken), None)


async def allocate(s: AsyncSession, subnet: Subnet, pools: list[Pool], net_id: str) -> str:
    """Take a free address of the subnet and move its cursor past it."""
    found = await next_free(s, subnet, pools)
    if found is None:
        raise errors.IpAddressGenerationFailure(net_id=net_id)
    following = str(_addr(int(ipaddress.ip_address(found)) + 1, subnet.ip_version))
    await s.execute(_MOVE_CURSOR, {"subnet_id": subnet.id, "next_ip": following})
    # Written already: the session must not write it again at its next flush.
    set_committed_value(subnet, "next_ip", following)
    return found


async def check_free(s: AsyncSession, subnet_id: str, address: str) -> None:
    """409 IpAddressAlreadyAllocated if a port holds ``address`` on the subnet."""
    taken = await s.scalar(
        select(IPAllocation.port_id).where(
            IPAllocation.subnet_id == subnet_id, IPAllocation.ip_address == address
        )
    )
    if taken is not None:
        raise errors.IpAddressAlreadyAllocated(ip=address, subnet_id=subnet_id)


def in_subnet(cidr: str, address: str, device_owner: str = "") -> bool:
    """Whether a port may hold ``address`` on the subnet (not v4 network or broadcast)."""
    net = ipaddress.ip_network(cidr)
    ip = ipaddress.ip_address(address)
    if ip.version != net.version or ip not in net:
        return False
    if net.version == 4 and net.prefixlen <= 30:
        return ip not in (net.network_address, net.broadcast_address)
    if net.version == 6 and not device_owner.startswith("network:router"):
        return ip != net.network_address or device_owner == ""
    return True
