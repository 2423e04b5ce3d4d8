"""Routers: who sees them, how they list, and their views (gateway, routes, tags).

A router is visible to its project (admins and services see all). A view is built from
the router row, its gateway port's addresses and its extra routes, each read for the
whole page in one query.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import l3_errors
from nimbostack.network.db.models import (
    Agent,
    IPAllocation,
    Port,
    Router,
    RouterL3AgentBinding,
    RouterPort,
    RouterRoute,
)
from nimbostack.network.objects import standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page
from nimbostack.network.objects.scope import Scope

TAGS = "routers"
GATEWAY = "network:router_gateway"
INTERFACE = "network:router_interface"


def visible(scope: Scope) -> ColumnElement[bool]:
    if scope.is_admin:
        return true()
    return Router.project_id == scope.project_id


TABLE = Table(
    id=Router.id,
    columns={
        "id": Router.id,
        "name": Router.name,
        "project_id": Router.project_id,
        "status": Router.status,
        "admin_state_up": Router.admin_state_up,
        "description": Router.description,
        "revision_number": Router.revision_number,
        "created_at": Router.created_at,
        "updated_at": Router.updated_at,
    },
    not_found=lambda router_id: l3_errors.RouterNotFound(router_id=router_id),
    tag_type=TAGS,
    bools=frozenset({"admin_state_up"}),
    ints=frozenset({"revision_number"}),
)


def _select(scope: Scope) -> Rows:
    return select(Router).where(visible(scope))


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, _select(scope), req)
    rows = page.finish((await s.execute(stmt)).all())
    return await views(s, [row[0] for row in rows])


async def find(s: AsyncSession, scope: Scope, router_id: str) -> dict[str, Any]:
    """The router as ``scope`` sees it, or 404 RouterNotFound."""
    router = await s.scalar(_select(scope).where(Router.id == router_id))
    if router is None:
        raise l3_errors.RouterNotFound(router_id=router_id)
    return (await views(s, [router]))[0]


async def lock(s: AsyncSession, scope: Scope, router_id: str) -> Router:
    """The router row locked for update (its changes take turns), or 404."""
    router = await s.scalar(
        _select(scope)
        .where(Router.id == router_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if not isinstance(router, Router):
        raise l3_errors.RouterNotFound(router_id=router_id)
    return router


async def gateways_of(s: AsyncSession, routers: list[Router]) -> dict[str, dict[str, Any]]:
    """Each router's ``external_gateway_info`` (routers without a gateway are absent)."""
    by_port = {r.gw_port_id: r for r in routers if r.gw_port_id}
    if not by_port:
        return {}
    found: dict[str, dict[str, Any]] = {}
    rows = await s.execute(
        select(Port.id, Port.network_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        .outerjoin(IPAllocation, IPAllocation.port_id == Port.id)
        .where(Port.id.in_(list(by_port)))
        .order_by(IPAllocation.subnet_id)
    )
    for port_id, net_id, subnet_id, address in rows:
        router = by_port[port_id]
        info = found.setdefault(
            router.id,
            {"network_id": net_id, "enable_snat": router.enable_snat, "external_fixed_ips": []},
        )
        if subnet_id is not None:
            info["external_fixed_ips"].append({"subnet_id": subnet_id, "ip_address": address})
    return found


async def routes_of(s: AsyncSession, ids: list[str]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
    rows = await s.execute(
        select(RouterRoute.router_id, RouterRoute.destination, RouterRoute.nexthop)
        .where(RouterRoute.router_id.in_(ids))
        .order_by(RouterRoute.destination, RouterRoute.nexthop)
    )
    for router_id, destination, nexthop in rows:
        found[router_id].append({"destination": destination, "nexthop": nexthop})
    return found


async def zones_of(s: AsyncSession, ids: list[str]) -> dict[str, list[str]]:
    """The zones of the L3 agents hosting each router."""
    found: dict[str, set[str]] = {i: set() for i in ids}
    rows = await s.execute(
        select(RouterL3AgentBinding.router_id, Agent.availability_zone)
        .join(Agent, Agent.id == RouterL3AgentBinding.l3_agent_id)
        .where(RouterL3AgentBinding.router_id.in_(ids))
    )
    for router_id, zone in rows:
        if zone:
            found[router_id].add(str(zone))
    return {i: sorted(z) for i, z in found.items()}


async def views(s: AsyncSession, routers: list[Router]) -> list[dict[str, Any]]:
    ids = [r.id for r in routers]
    gateways = await gateways_of(s, routers)
    routes = await routes_of(s, ids)
    tags = await standard.tags_of(s, TAGS, ids)
    azs = await zones_of(s, ids)
    return [
        {
            "id": r.id,
            "name": r.name,
            "tenant_id": r.project_id,
            "project_id": r.project_id,
            "status": r.status,
            "admin_state_up": r.admin_state_up,
            "external_gateway_info": gateways.get(r.id),
            "routes": routes[r.id],
            "distributed": r.distributed,
            "ha": r.ha,
            "flavor_id": r.flavor_id,
            "availability_zone_hints": list(r.availability_zone_hints),
            "availability_zones": azs[r.id],
            "tags": tags[r.id],
            **standard.standard_view(r),
        }
        for r in routers
    ]


async def interface_ports(s: AsyncSession, router_id: str) -> list[tuple[str, str, str, str]]:
    """(port id, network id, subnet id, address) of every interface address of a router."""
    rows = await s.execute(
        select(Port.id, Port.network_id, IPAllocation.subnet_id, IPAllocation.ip_address)
        .join(RouterPort, RouterPort.port_id == Port.id)
        .join(IPAllocation, IPAllocation.port_id == Port.id)
        .where(RouterPort.router_id == router_id, RouterPort.port_type == INTERFACE)
        .order_by(Port.created_at, Port.id, IPAllocation.subnet_id)
    )
    return [(p, n, sub, ip) for p, n, sub, ip in rows]
