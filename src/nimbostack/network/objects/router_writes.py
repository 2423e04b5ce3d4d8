"""Router create, update (gateway, routes) and delete, each in one transaction.

Concurrency: a create takes the project's quota lock; every change of an existing
router first locks its row (``routers.lock``), so its gateway, interfaces and routes
change one request at a time. Ports are then made on a network under that network's
lock (``port_writes.create``), so locks are always taken router, then network.

A gateway is a port owned by no project (as in Neutron) with device owner
``network:router_gateway`` on an external network; it is listed in ``routerports``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors, l3_errors
from nimbostack.network.db.models import FloatingIP, Port, Router, RouterPort, RouterRoute
from nimbostack.network.objects import (
    networks,
    port_writes,
    quotas,
    router_routes,
    routers,
    standard,
    zones,
)
from nimbostack.network.objects.scope import Scope


async def _check_zones(s: AsyncSession, hints: list[str]) -> None:
    known = await zones.known(s, "router") if hints else set()
    for hint in hints:
        if hint not in known:
            raise errors.AvailabilityZoneNotFound(availability_zone=hint)


async def create(s: AsyncSession, conf: Config, caller: Scope, item: dict[str, Any]) -> str:
    """Create the router of a parsed request (with its gateway, if asked); its id."""
    project = item["project_id"]
    await quotas.check(s, conf, project, {"router": 1})
    hints = item.get("availability_zone_hints") or []
    await _check_zones(s, hints)
    router = Router(
        **standard.stamp(
            id=standard.new_id(),
            project_id=project,
            name=item.get("name", ""),
            description=item.get("description", ""),
            status="ACTIVE",
            admin_state_up=item.get("admin_state_up", True),
            enable_snat=True,
            distributed=False,
            ha=False,
            availability_zone_hints=hints,
        )
    )
    s.add(router)
    await s.flush()
    gateway = item.get("external_gateway_info")
    if gateway:
        await set_gateway(s, conf, caller, router, gateway)
    if item.get("tags"):
        await standard.set_tags(s, routers.TAGS, router.id, item["tags"])
    return router.id


async def update(
    s: AsyncSession,
    conf: Config,
    caller: Scope,
    router_id: str,
    changes: dict[str, Any],
    *,
    expected: int | None,
) -> None:
    """Change a router: its gateway, routes, name, description or state."""
    router = await routers.lock(s, caller, router_id)
    if expected is not None and router.revision_number != expected:
        raise errors.RevisionNumberConstraintFailed(
            expected=expected, current=router.revision_number
        )
    if "external_gateway_info" in changes:
        await set_gateway(s, conf, caller, router, changes["external_gateway_info"])
    if "routes" in changes:
        await router_routes.replace(s, conf, router, changes["routes"])
    values = {k: changes[k] for k in ("name", "description", "admin_state_up") if k in changes}
    await standard.bump(s, Router, router_id, **values)


async def set_gateway(
    s: AsyncSession, conf: Config, caller: Scope, router: Router, info: dict[str, Any] | None
) -> None:
    """Give the router the gateway ``info`` asks for (``None`` or ``{}``: none)."""
    net_id = (info or {}).get("network_id")
    current = await _gateway_network(s, router)
    if net_id is None:
        if current is not None:
            await _clear_gateway(s, router, current)
        router.enable_snat = True
        return
    assert info is not None
    same_addresses = "external_fixed_ips" not in info
    if current == net_id and same_addresses:
        router.enable_snat = info.get("enable_snat", router.enable_snat)
        return
    net = await networks.lock(s, caller, net_id)
    if not net.router_external:
        raise l3_errors.bad_router(f"Network {net_id} is not an external network")
    if current is not None:
        await _clear_gateway(s, router, current, keep_fips=current == net_id)
    port = {
        "project_id": "",
        "network_id": net_id,
        "device_owner": routers.GATEWAY,
        "device_id": router.id,
        "admin_state_up": True,
    }
    if not same_addresses:
        port["fixed_ips"] = info["external_fixed_ips"]
    port_id = await port_writes.create(s, conf, Scope.admin(), port, quota=False)
    s.add(RouterPort(router_id=router.id, port_id=port_id, port_type=routers.GATEWAY))
    router.gw_port_id = port_id
    router.enable_snat = info.get("enable_snat", True)
    await s.flush()


async def _gateway_network(s: AsyncSession, router: Router) -> str | None:
    if router.gw_port_id is None:
        return None
    return await s.scalar(select(Port.network_id).where(Port.id == router.gw_port_id))


async def _clear_gateway(
    s: AsyncSession, router: Router, net_id: str, *, keep_fips: bool = False
) -> None:
    """Remove the gateway port; refused while floating IPs reach the router through it."""
    if not keep_fips:
        used = await s.scalar(
            select(FloatingIP.id)
            .where(FloatingIP.router_id == router.id, FloatingIP.floating_network_id == net_id)
            .limit(1)
        )
        if used is not None:
            raise l3_errors.RouterExternalGatewayInUseByFloatingIp(
                router_id=router.id, net_id=net_id
            )
    port_id = router.gw_port_id
    router.gw_port_id = None
    await s.flush()
    await s.execute(delete(Port).where(Port.id == port_id))


async def delete_router(
    s: AsyncSession, caller: Scope, router_id: str, expected: int | None
) -> None:
    """Delete a router with no interfaces (409 RouterInUse), and its gateway port."""
    router = await routers.lock(s, caller, router_id)
    if expected is not None and router.revision_number != expected:
        raise errors.RevisionNumberConstraintFailed(
            expected=expected, current=router.revision_number
        )
    if await routers.interface_ports(s, router_id):
        raise l3_errors.RouterInUse(router_id=router_id, reason="still has ports")
    current = await _gateway_network(s, router)
    if current is not None:
        await _clear_gateway(s, router, current)
    await standard.clear_tags(s, routers.TAGS, [router_id])
    await s.execute(delete(RouterRoute).where(RouterRoute.router_id == router_id))
    await s.execute(delete(Router).where(Router.id == router_id))


async def touch(s: AsyncSession, router_id: str) -> None:
    """Bump the router's revision (its routes or interfaces changed)."""
    await standard.bump(s, Router, router_id)
