"""Carving a subnet out of a subnet pool (see ``subnetpools`` for the rule it follows)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import errors
from nimbostack.network.db.models import Subnet, SubnetPool, SubnetPoolPrefix
from nimbostack.network.objects import subnetpools
from nimbostack.network.objects.scope import Scope

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def free_blocks(prefixes: Iterable[Net], taken: Iterable[Net]) -> list[Net]:
    """What of ``prefixes`` no subnet uses, smallest blocks first (then by address)."""
    free: list[Net] = list(ipaddress.collapse_addresses(prefixes))  # type: ignore[type-var]
    for used in taken:
        remaining: list[Net] = []
        for block in free:
            if used.version != block.version or not block.overlaps(used):
                remaining.append(block)
            elif used.subnet_of(block):  # type: ignore[arg-type]
                remaining.extend(block.address_exclude(used))  # type: ignore[arg-type]
        free = remaining
    return sorted(free, key=lambda n: (-n.prefixlen, n.network_address))


def pick(free: list[Net], prefixlen: int) -> Net | None:
    for block in free:
        if block.prefixlen <= prefixlen:
            # The block's first sub-block of that size starts where the block does.
            return ipaddress.ip_network(f"{block.network_address}/{prefixlen}")
    return None


async def carve(
    s: AsyncSession,
    scope: Scope,
    pool_id: str,
    *,
    cidr: str | None,
    prefixlen: int | None,
    ip_version: int | None,
) -> tuple[str, SubnetPool]:
    """A free CIDR of the pool (the requested one, or one of ``prefixlen``), pool locked."""
    pool = await s.scalar(
        select(SubnetPool)
        .where(SubnetPool.id == pool_id, subnetpools.visible(scope))
        .with_for_update()
    )
    if pool is None:
        raise errors.SubnetPoolNotFound(subnetpool_id=pool_id)
    if ip_version is not None and ip_version != pool.ip_version:
        raise errors.InvalidInput(
            error_message=f"Cannot allocate IPv{ip_version} subnet from IPv{pool.ip_version} "
            "subnet pool"
        )
    wanted = ipaddress.ip_network(cidr) if cidr else None
    length = wanted.prefixlen if wanted else (prefixlen or pool.default_prefixlen)
    if length > pool.max_prefixlen:
        raise errors.MaxPrefixSubnetAllocationError(
            prefixlen=length, max_prefixlen=pool.max_prefixlen
        )
    if length < pool.min_prefixlen:
        raise errors.MinPrefixSubnetAllocationError(
            prefixlen=length, min_prefixlen=pool.min_prefixlen
        )
    prefixes = await s.scalars(
        select(SubnetPoolPrefix.cidr).where(SubnetPoolPrefix.subnetpool_id == pool_id)
    )
    taken = await s.scalars(select(Subnet.cidr).where(Subnet.subnetpool_id == pool_id))
    free = free_blocks(
        (ipaddress.ip_network(p) for p in prefixes), (ipaddress.ip_network(t) for t in taken)
    )
    if wanted is not None:
        if not any(wanted.version == b.version and wanted.subnet_of(b) for b in free):  # type: ignore[arg-type]
            raise errors.SubnetAllocationError(
                reason="Cannot allocate requested subnet from the available set of prefixes"
            )
        return str(wanted), pool
    found = pick(free, length)
    if found is None:
        raise errors.SubnetAllocationError(
            reason=f"Insufficient prefix space to allocate subnet size /{length}"
        )
    return str(found), pool
