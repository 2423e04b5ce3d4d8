"""Subnet pools: their prefixes, prefix-length bounds, the default pool, and carving subnets.

A subnet taken from a pool is the first free block of the requested size in the
smallest free range that holds it (as Neutron does). Carving runs with the pool's row
locked, so two subnets created at once never get overlapping blocks. One pool per IP
version may be the default, guarded by a named lock.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import errors
from nimbostack.network.db.models import Subnet, SubnetPool, SubnetPoolPrefix
from nimbostack.network.db.sql import lock
from nimbostack.network.objects import rbac, standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page, to_bool
from nimbostack.network.objects.scope import EVERYONE, SHARED, Scope, granted, owned_or_granted

TAGS = "subnetpools"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
BITS = {4: 32, 6: 128}
DEFAULT_MIN = {4: 8, 6: 64}


def visible(scope: Scope) -> ColumnElement[bool]:
    return owned_or_granted(scope, "subnetpool", SubnetPool.id, SubnetPool.project_id)


def table(scope: Scope) -> Table:
    shared = granted("subnetpool", SubnetPool.id, scope.project_id)

    def shared_filter(values: list[str]) -> ColumnElement[bool]:
        wanted = {to_bool(v) for v in values}
        return shared if wanted == {True} else ~shared

    columns: dict[str, Any] = {
        name: getattr(SubnetPool, name)
        for name in (
            "id", "name", "project_id", "ip_version", "default_prefixlen", "min_prefixlen",
            "max_prefixlen", "is_default", "default_quota", "address_scope_id", "description",
            "revision_number", "created_at", "updated_at",
        )
    }  # fmt: skip
    return Table(
        id=SubnetPool.id,
        columns=columns,
        not_found=lambda pool_id: errors.SubnetPoolNotFound(subnetpool_id=pool_id),
        tag_type=TAGS,
        bools=frozenset({"is_default"}),
        ints=frozenset(
            {
                "ip_version",
                "default_prefixlen",
                "min_prefixlen",
                "max_prefixlen",
                "default_quota",
                "revision_number",
            }
        ),
        filters={"shared": shared_filter},
    )


def _select(scope: Scope) -> Rows:
    shared = granted("subnetpool", SubnetPool.id, scope.project_id).label("shared")
    return select(SubnetPool, shared).where(visible(scope))


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, table(scope), _select(scope), req)
    return await _views(s, page.finish((await s.execute(stmt)).all()))


async def find(s: AsyncSession, scope: Scope, pool_id: str) -> dict[str, Any]:
    row = (await s.execute(_select(scope).where(SubnetPool.id == pool_id))).first()
    if row is None:
        raise errors.SubnetPoolNotFound(subnetpool_id=pool_id)
    return (await _views(s, [row]))[0]


async def default_for(s: AsyncSession, scope: Scope, ip_version: int) -> str | None:
    found = await s.scalar(
        select(SubnetPool.id).where(
            visible(scope), SubnetPool.is_default.is_(True), SubnetPool.ip_version == ip_version
        )
    )
    return None if found is None else str(found)


async def prefixes_of(s: AsyncSession, ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {i: [] for i in ids}
    for pool_id, cidr in await s.execute(
        select(SubnetPoolPrefix.subnetpool_id, SubnetPoolPrefix.cidr).where(
            SubnetPoolPrefix.subnetpool_id.in_(ids)
        )
    ):
        found[pool_id].append(cidr)
    for cidrs in found.values():
        cidrs.sort(key=ipaddress.ip_network)
    return found


async def _views(s: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [row[0].id for row in rows]
    prefixes = await prefixes_of(s, ids)
    tags = await standard.tags_of(s, TAGS, ids)
    return [_view(row[0], bool(row[1]), prefixes[row[0].id], tags[row[0].id]) for row in rows]


def _view(pool: SubnetPool, shared: bool, prefixes: list[str], tags: list[str]) -> dict[str, Any]:
    return {
        "id": pool.id,
        "name": pool.name,
        "tenant_id": pool.project_id,
        "project_id": pool.project_id,
        "prefixes": prefixes,
        "ip_version": pool.ip_version,
        "default_prefixlen": pool.default_prefixlen,
        "min_prefixlen": pool.min_prefixlen,
        "max_prefixlen": pool.max_prefixlen,
        "shared": shared,
        "is_default": pool.is_default,
        "default_quota": pool.default_quota,
        "address_scope_id": pool.address_scope_id,
        "tags": tags,
        **standard.standard_view(pool),
    }


# -- writes ---------------------------------------------------------------------------------
def compact(prefixes: list[str]) -> tuple[int, list[str]]:
    """The prefixes merged where they overlap or touch, and their IP version."""
    nets = [ipaddress.ip_network(p) for p in prefixes]
    versions = {n.version for n in nets}
    if not nets:
        raise errors.InvalidInput(error_message="Empty subnet pool prefix list")
    if len(versions) != 1:
        raise errors.PrefixVersionMismatch()
    merged = ipaddress.collapse_addresses(nets)  # type: ignore[type-var]
    return versions.pop(), [str(n) for n in merged]


def bounds(
    version: int, item: dict[str, Any], current: dict[str, Any] | None = None
) -> dict[str, int]:
    """min/max/default prefix lengths from a request, checked as Neutron checks them."""
    base = current or {}
    low = item.get("min_prefixlen", base.get("min_prefixlen", DEFAULT_MIN[version]))
    high = item.get("max_prefixlen", base.get("max_prefixlen", BITS[version]))
    default = item.get("default_prefixlen", base.get("default_prefixlen", low))
    if high > BITS[version]:
        raise errors.IllegalSubnetPoolPrefixBounds(
            prefix_type="max_prefixlen", prefixlen=high,
            base_prefix_type="ip_version_max", base_prefixlen=BITS[version],
        )  # fmt: skip
    if low > high:
        raise errors.IllegalSubnetPoolPrefixBounds(
            prefix_type="min_prefixlen", prefixlen=low,
            base_prefix_type="max_prefixlen", base_prefixlen=high,
        )  # fmt: skip
    for other, value in (("min_prefixlen", low), ("max_prefixlen", high)):
        if (other == "min_prefixlen" and default < value) or (
            other == "max_prefixlen" and default > value
        ):
            raise errors.IllegalSubnetPoolPrefixBounds(
                prefix_type="default_prefixlen", prefixlen=default,
                base_prefix_type=other, base_prefixlen=value,
            )  # fmt: skip
    return {"min_prefixlen": low, "max_prefixlen": high, "default_prefixlen": default}


async def check_single_default(s: AsyncSession, version: int, except_id: str = "") -> None:
    await lock(s, f"default-subnetpool:{version}")
    found = await s.scalar(
        select(SubnetPool.id).where(
            SubnetPool.is_default.is_(True),
            SubnetPool.ip_version == version,
            SubnetPool.id != except_id,
        )
    )
    if found is not None:
        raise errors.InvalidInput(
            error_message="A default subnetpool for this IP family has already been set. "
            "Only one default may exist per IP family"
        )


async def set_prefixes(s: AsyncSession, pool_id: str, prefixes: list[str]) -> None:
    await s.execute(delete(SubnetPoolPrefix).where(SubnetPoolPrefix.subnetpool_id == pool_id))
    s.add_all(SubnetPoolPrefix(subnetpool_id=pool_id, cidr=p) for p in prefixes)
    await s.flush()


async def set_shared(s: AsyncSession, pool: SubnetPool, shared: bool) -> None:
    entry = await rbac.find(s, "subnetpool", pool.id, SHARED, EVERYONE)
    if shared and entry is None:
        await rbac.grant(
            s,
            owner=pool.project_id,
            object_type="subnetpool",
            object_id=pool.id,
            action=SHARED,
            target=EVERYONE,
        )


async def in_use(s: AsyncSession, pool_id: str) -> bool:
    return (
        await s.scalar(select(Subnet.id).where(Subnet.subnetpool_id == pool_id).limit(1))
    ) is not None
