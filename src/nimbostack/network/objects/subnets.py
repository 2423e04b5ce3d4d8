"""Subnets: who sees them, how they list, and their view (pools, DNS servers, routes).

A subnet is visible to its owner, to its network's owner, and to projects its network is
shared with (or every project, for an external network's subnets).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import ColumnElement, bindparam, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import errors
from nimbostack.network.db.models import (
    AllocationPool,
    DnsNameServer,
    Network,
    Subnet,
    SubnetRoute,
)
from nimbostack.network.ipam import Pool
from nimbostack.network.objects import standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page
from nimbostack.network.objects.scope import EXTERNAL, SHARED, Scope, granted

TAGS = "subnets"


def visible(scope: Scope) -> ColumnElement[bool]:
    if scope.is_admin:
        return true()
    return or_(
        Subnet.project_id == scope.project_id,
        Network.project_id == scope.project_id,
        granted("network", Subnet.network_id, scope.project_id, (SHARED, EXTERNAL)),
    )


TABLE = Table(
    id=Subnet.id,
    columns={
        "id": Subnet.id,
        "name": Subnet.name,
        "project_id": Subnet.project_id,
        "network_id": Subnet.network_id,
        "ip_version": Subnet.ip_version,
        "cidr": Subnet.cidr,
        "gateway_ip": Subnet.gateway_ip,
        "enable_dhcp": Subnet.enable_dhcp,
        "ipv6_ra_mode": Subnet.ipv6_ra_mode,
        "ipv6_address_mode": Subnet.ipv6_address_mode,
        "subnetpool_id": Subnet.subnetpool_id,
        "router:external": Network.router_external,
        "description": Subnet.description,
        "revision_number": Subnet.revision_number,
        "created_at": Subnet.created_at,
        "updated_at": Subnet.updated_at,
    },
    not_found=lambda subnet_id: errors.SubnetNotFound(subnet_id=subnet_id),
    tag_type=TAGS,
    bools=frozenset({"enable_dhcp", "router:external"}),
    ints=frozenset({"ip_version", "revision_number"}),
)


def _select(scope: Scope) -> Rows:
    network_shared = granted("network", Subnet.network_id, scope.project_id).label("shared")
    return (
        select(Subnet, Network.project_id, network_shared, Network.router_external)
        .join(Network, Network.id == Subnet.network_id)
        .where(visible(scope))
    )


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, _select(scope), req)
    return await _views(s, page.finish((await s.execute(stmt)).all()))


async def find(s: AsyncSession, scope: Scope, subnet_id: str) -> dict[str, Any]:
    row = (await s.execute(_select(scope).where(Subnet.id == subnet_id))).first()
    if row is None:
        raise errors.SubnetNotFound(subnet_id=subnet_id)
    return (await _views(s, [row]))[0]


_POOLS = (
    select(AllocationPool.subnet_id, AllocationPool.first_ip, AllocationPool.last_ip)
    .where(AllocationPool.subnet_id.in_(bindparam("ids", expanding=True)))
    .order_by(AllocationPool.subnet_id, AllocationPool.id)
)


async def pools_of(s: AsyncSession, subnets: list[Subnet]) -> dict[str, list[Pool]]:
    versions = {sub.id: sub.ip_version for sub in subnets}
    found: dict[str, list[Pool]] = {i: [] for i in versions}
    if not versions:
        return found
    rows = await s.execute(_POOLS, {"ids": list(versions)})
    for subnet_id, first, last in rows:
        found[subnet_id].append(
            Pool(
                int(ipaddress.ip_address(first)),
                int(ipaddress.ip_address(last)),
                versions[subnet_id],
            )
        )
    return found


async def _views(s: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    subnets = [row[0] for row in rows]
    ids = [sub.id for sub in subnets]
    pools = await pools_of(s, subnets)
    dns: dict[str, list[str]] = {i: [] for i in ids}
    for subnet_id, address in await s.execute(
        select(DnsNameServer.subnet_id, DnsNameServer.address)
        .where(DnsNameServer.subnet_id.in_(ids))
        .order_by(DnsNameServer.subnet_id, DnsNameServer.order)
    ):
        dns[subnet_id].append(address)
    routes: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
    for subnet_id, destination, nexthop in await s.execute(
        select(SubnetRoute.subnet_id, SubnetRoute.destination, SubnetRoute.nexthop)
        .where(SubnetRoute.subnet_id.in_(ids))
        .order_by(SubnetRoute.subnet_id, SubnetRoute.destination, SubnetRoute.nexthop)
    ):
        routes[subnet_id].append({"destination": destination, "nexthop": nexthop})
    tags = await standard.tags_of(s, TAGS, ids)
    return [
        {
            **_view(row[0], pools[row[0].id], dns[row[0].id], routes[row[0].id]),
            "tags": tags[row[0].id],
            # Whether the subnet's network is external (subnet-external-network).
            "router:external": bool(row[3]),
            # What policies read; stripped before the subnet is shown.
            "network:project_id": row[1],
            "shared": bool(row[2]),
        }
        for row in rows
    ]


def _view(
    sub: Subnet, pools: list[Pool], dns: list[str], routes: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "id": sub.id,
        "name": sub.name,
        "network_id": sub.network_id,
        "tenant_id": sub.project_id,
        "project_id": sub.project_id,
        "ip_version": sub.ip_version,
        "cidr": sub.cidr,
        "gateway_ip": sub.gateway_ip,
        "allocation_pools": [p.view() for p in pools],
        "dns_nameservers": dns,
        "host_routes": routes,
        "enable_dhcp": sub.enable_dhcp,
        "ipv6_ra_mode": sub.ipv6_ra_mode,
        "ipv6_address_mode": sub.ipv6_address_mode,
        "subnetpool_id": sub.subnetpool_id,
        **standard.standard_view(sub),
    }


POLICY_KEYS = ("network:project_id", "shared", "router:external")


async def external_pools(s: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """The floating IP pools the caller can use: IPv4 subnets of external networks."""
    rows = await s.execute(
        select(Subnet.id, Subnet.name, Subnet.cidr, Subnet.network_id, Subnet.project_id)
        .join(Network, Network.id == Subnet.network_id)
        .where(visible(scope), Network.router_external.is_(True), Subnet.ip_version == 4)
        .order_by(Subnet.created_at, Subnet.id)
    )
    return [
        {
            "subnet_id": subnet_id,
            "subnet_name": name,
            "cidr": cidr,
            "network_id": net_id,
            "project_id": project,
            "tenant_id": project,
        }
        for subnet_id, name, cidr, net_id, project in rows
    ]
