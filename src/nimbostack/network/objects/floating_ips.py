"""Floating IPs: who sees them, how they list, and their views (with ``port_details``).

A floating IP is visible to its project (admins and services see all). Its view
carries the details of the port it is associated with (fip-port-details), read for
the whole page in one query.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network import l3_errors
from nimbostack.network.db.models import FloatingIP, Port
from nimbostack.network.objects import standard
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page
from nimbostack.network.objects.scope import Scope

TAGS = "floatingips"
OWNER = "network:floatingip"


def visible(scope: Scope) -> ColumnElement[bool]:
    if scope.is_admin:
        return true()
    return FloatingIP.project_id == scope.project_id


TABLE = Table(
    id=FloatingIP.id,
    columns={
        "id": FloatingIP.id,
        "floating_ip_address": FloatingIP.floating_ip_address,
        "floating_network_id": FloatingIP.floating_network_id,
        "router_id": FloatingIP.router_id,
        "port_id": FloatingIP.fixed_port_id,
        "fixed_ip_address": FloatingIP.fixed_ip_address,
        "status": FloatingIP.status,
        "project_id": FloatingIP.project_id,
        "description": FloatingIP.description,
        "revision_number": FloatingIP.revision_number,
        "created_at": FloatingIP.created_at,
        "updated_at": FloatingIP.updated_at,
    },
    not_found=lambda fip_id: l3_errors.FloatingIPNotFound(floatingip_id=fip_id),
    tag_type=TAGS,
    ints=frozenset({"revision_number"}),
)


def _select(scope: Scope) -> Rows:
    return select(FloatingIP).where(visible(scope))


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, TABLE, _select(scope), req)
    rows = page.finish((await s.execute(stmt)).all())
    return await views(s, [row[0] for row in rows])


async def find(s: AsyncSession, scope: Scope, fip_id: str) -> dict[str, Any]:
    """The floating IP as ``scope`` sees it, or 404 FloatingIPNotFound."""
    fip = await s.scalar(_select(scope).where(FloatingIP.id == fip_id))
    if fip is None:
        raise l3_errors.FloatingIPNotFound(floatingip_id=fip_id)
    return (await views(s, [fip]))[0]


async def lock(s: AsyncSession, scope: Scope, fip_id: str) -> FloatingIP:
    """The floating IP's row locked for update, or 404."""
    fip = await s.scalar(
        _select(scope)
        .where(FloatingIP.id == fip_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if not isinstance(fip, FloatingIP):
        raise l3_errors.FloatingIPNotFound(floatingip_id=fip_id)
    return fip


async def _port_details(s: AsyncSession, port_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not port_ids:
        return {}
    rows = await s.scalars(select(Port).where(Port.id.in_(port_ids)))
    return {
        p.id: {
            "name": p.name,
            "network_id": p.network_id,
            "mac_address": p.mac_address,
            "admin_state_up": p.admin_state_up,
            "status": p.status,
            "device_id": p.device_id,
            "device_owner": p.device_owner,
        }
        for p in rows
    }


async def views(s: AsyncSession, fips: list[FloatingIP]) -> list[dict[str, Any]]:
    ids = [f.id for f in fips]
    details = await _port_details(s, [f.fixed_port_id for f in fips if f.fixed_port_id])
    tags = await standard.tags_of(s, TAGS, ids)
    return [
        {
            "id": f.id,
            "tenant_id": f.project_id,
            "project_id": f.project_id,
            "floating_ip_address": f.floating_ip_address,
            "floating_network_id": f.floating_network_id,
            "router_id": f.router_id,
            "port_id": f.fixed_port_id,
            "fixed_ip_address": f.fixed_ip_address,
            "status": f.status,
            "port_details": details.get(f.fixed_port_id) if f.fixed_port_id else None,
            "tags": tags[f.id],
            **standard.standard_view(f),
        }
        for f in fips
    ]


async def detach_port(s: AsyncSession, port_id: str) -> None:
    """Disassociate every floating IP of a port being deleted (its row lock is held)."""
    await s.execute(
        update(FloatingIP)
        .where(FloatingIP.fixed_port_id == port_id)
        .values(
            fixed_port_id=None,
            fixed_ip_address=None,
            router_id=None,
            status="DOWN",
            revision_number=FloatingIP.revision_number + 1,
            updated_at=time.time(),
        )
        .execution_options(synchronize_session=False)
    )
