"""A router's extra routes (extraroute, extraroute-atomic): replace, add and remove.

The caller holds the router's row lock. A next hop must lie on one of the subnets the
router is connected to (an interface or its gateway) and must not be one of the
router's own addresses, as in Neutron.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import l3_errors
from nimbostack.network.db.models import IPAllocation, Router, RouterPort, RouterRoute, Subnet

Route = tuple[str, str]


def _key(entry: dict[str, Any]) -> Route:
    return (str(entry["destination"]), str(entry["nexthop"]))


async def current(s: AsyncSession, router_id: str) -> list[Route]:
    rows = await s.execute(
        select(RouterRoute.destination, RouterRoute.nexthop).where(
            RouterRoute.router_id == router_id
        )
    )
    return [(d, n) for d, n in rows]


async def connected(s: AsyncSession, router_id: str) -> tuple[list[str], set[str]]:
    """The CIDRs of the subnets the router is on, and its own addresses there."""
    rows = await s.execute(
        select(Subnet.cidr, IPAllocation.ip_address)
        .join(IPAllocation, IPAllocation.subnet_id == Subnet.id)
        .join(RouterPort, RouterPort.port_id == IPAllocation.port_id)
        .where(RouterPort.router_id == router_id)
    )
    cidrs, own = [], set()
    for cidr, address in rows:
        cidrs.append(cidr)
        own.add(address)
    return cidrs, own


def _check(routes: list[Route], cidrs: list[str], own: set[str]) -> None:
    for destination, nexthop in routes:
        shown = [{"destination": destination, "nexthop": nexthop}]
        hop = ipaddress.ip_address(nexthop)
        if ipaddress.ip_network(destination).version != hop.version:
            raise l3_errors.InvalidRoutes(routes=shown, reason="IP versions do not match")
        if not any(hop in ipaddress.ip_network(c) for c in cidrs):
            raise l3_errors.InvalidRoutes(
                routes=shown, reason="the nexthop is not connected with router"
            )
        if nexthop in own:
            raise l3_errors.InvalidRoutes(routes=shown, reason="the nexthop is used by router")


async def _write(s: AsyncSession, conf: Config, router: Router, routes: list[Route]) -> None:
    wanted = list(dict.fromkeys(routes))
    limit = int(conf.network.max_routes)
    if len(wanted) > limit:
        raise l3_errors.RoutesExhausted(router_id=router.id, quota=limit)
    _check(wanted, *await connected(s, router.id))
    await s.execute(delete(RouterRoute).where(RouterRoute.router_id == router.id))
    s.add_all(RouterRoute(router_id=router.id, destination=d, nexthop=n) for d, n in wanted)
    await s.flush()


async def replace(
    s: AsyncSession, conf: Config, router: Router, routes: list[dict[str, Any]]
) -> None:
    await _write(s, conf, router, [_key(r) for r in routes])


async def add(s: AsyncSession, conf: Config, router: Router, routes: list[dict[str, Any]]) -> None:
    await _write(s, conf, router, await current(s, router.id) + [_key(r) for r in routes])


async def remove(
    s: AsyncSession, conf: Config, router: Router, routes: list[dict[str, Any]]
) -> None:
    gone = {_key(r) for r in routes}
    await _write(s, conf, router, [r for r in await current(s, router.id) if r not in gone])


async def needed_by_routes(s: AsyncSession, router_id: str, cidr: str) -> bool:
    """Whether a route's next hop lies on ``cidr`` (so that interface cannot go)."""
    network = ipaddress.ip_network(cidr)
    return any(ipaddress.ip_address(hop) in network for _, hop in await current(s, router_id))
