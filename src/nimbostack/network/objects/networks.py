"""Networks: visibility, listing, create (segments, sharing), update and delete.

A create takes the project's quota lock, its segments from the type drivers and its
RBAC grants in one transaction. Update and delete take the network's row lock first
(PostgreSQL; SQLite writers run alone), so "no ports in use" or "no other project
depends on the sharing" is still true when the change commits.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, String, bindparam, delete, exists, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.schema import MAX_INT
from nimbostack.network import errors
from nimbostack.network.db.models import Network, NetworkSegment, Port, Subnet
from nimbostack.network.ml2.manager import NETWORK_TYPE, PHYSICAL_NETWORK, SEGMENTATION_ID
from nimbostack.network.ml2.types import Segment
from nimbostack.network.objects import rbac, standard, zones
from nimbostack.network.objects.query import ListRequest, Rows, Table, select_page, to_bool
from nimbostack.network.objects.scope import (
    CALLER,
    EXTERNAL,
    SHARED,
    Scope,
    granted,
    owned_or_granted,
)

TAGS = "networks"
# Ports a network owns itself: deleting the network deletes them with it.
AUTO_DELETE_OWNERS = ("network:dhcp", "network:distributed", "network:floatingip_agent_gateway")


def _segment_filter(column: Any, ints: bool = False) -> Any:
    def condition(values: list[str]) -> ColumnElement[bool]:
        # A value that is no 32-bit integer matches nothing.
        numbers = (bounded_int(v, -MAX_INT - 1, MAX_INT) for v in values)
        wanted = [n for n in numbers if n is not None] if ints else values
        return exists().where(NetworkSegment.network_id == Network.id, column.in_(wanted))

    return condition


def table(scope: Scope) -> Table:
    shared = granted("network", Network.id, scope.project_id)

    def shared_filter(values: list[str]) -> ColumnElement[bool]:
        wanted = {to_bool(v) for v in values}
        if wanted == {True}:
            return shared
        if wanted == {False}:
            return ~shared
        return true()

    return Table(
        id=Network.id,
        columns={
            "id": Network.id,
            "name": Network.name,
            "project_id": Network.project_id,
            "status": Network.status,
            "admin_state_up": Network.admin_state_up,
            "mtu": Network.mtu,
            "port_security_enabled": Network.port_security_enabled,
            "router:external": Network.router_external,
            "is_default": Network.is_default,
            "dns_domain": Network.dns_domain,
            "description": Network.description,
            "revision_number": Network.revision_number,
            "created_at": Network.created_at,
            "updated_at": Network.updated_at,
        },
        not_found=lambda net_id: errors.NetworkNotFound(net_id=net_id),
        tag_type=TAGS,
        bools=frozenset(
            {"admin_state_up", "port_security_enabled", "router:external", "is_default"}
        ),
        ints=frozenset({"mtu", "revision_number"}),
        filters={
            "shared": shared_filter,
            NETWORK_TYPE: _segment_filter(NetworkSegment.network_type),
            PHYSICAL_NETWORK: _segment_filter(NetworkSegment.physical_network),
            SEGMENTATION_ID: _segment_filter(NetworkSegment.segmentation_id, ints=True),
        },
    )


def visible(scope: Scope) -> ColumnElement[bool]:
    return owned_or_granted(scope, "network", Network.id, Network.project_id, (SHARED, EXTERNAL))


def _select(scope: Scope) -> Rows:
    shared = granted("network", Network.id, scope.project_id).label("shared")
    return select(Network, shared).where(visible(scope))


async def search(s: AsyncSession, scope: Scope, req: ListRequest) -> list[dict[str, Any]]:
    page, stmt = await select_page(s, table(scope), _select(scope), req)
    rows = page.finish((await s.execute(stmt)).all())
    return await _views(s, rows)


async def find(s: AsyncSession, scope: Scope, net_id: str) -> dict[str, Any]:
    """The network as ``scope`` sees it, or 404 NetworkNotFound."""
    row = (await s.execute(_select(scope).where(Network.id == net_id))).first()
    if row is None:
        raise errors.NetworkNotFound(net_id=net_id)
    return (await _views(s, [row]))[0]


NET_ID = bindparam("net_id", type_=String)


@functools.cache
def _facts(sees_all: bool) -> Rows:
    shared = granted("network", Network.id, CALLER)
    stmt = select(Network.project_id, shared, Network.router_external)
    return stmt.where(Network.id == NET_ID, _visible_to_caller(sees_all))


def _visible_to_caller(sees_all: bool) -> ColumnElement[bool]:
    scope = Scope("", sees_all)
    actions = (SHARED, EXTERNAL)
    return owned_or_granted(
        scope, "network", Network.id, Network.project_id, actions, project=CALLER
    )


@functools.cache
def _locked(sees_all: bool) -> Rows:
    stmt = select(Network).where(Network.id == NET_ID, _visible_to_caller(sees_all))
    return stmt.with_for_update()


async def facts(s: AsyncSession, scope: Scope, net_id: str) -> dict[str, Any]:
    """What policies read of a network (owner, shared, external), in one query; 404 if
    ``scope`` cannot see it."""
    params = {"net_id": net_id, **scope.params}
    row = (await s.execute(_facts(scope.is_admin), params)).first()
    if row is None:
        raise errors.NetworkNotFound(net_id=net_id)
    return {"project_id": row[0], "shared": bool(row[1]), "router:external": bool(row[2])}


async def lock(s: AsyncSession, scope: Scope, net_id: str) -> Network:
    """The network row, locked for update, if ``scope`` can see it (else 404)."""
    params = {"net_id": net_id, **scope.params}
    net = await s.scalar(_locked(scope.is_admin), params)
    if not isinstance(net, Network):
        raise errors.NetworkNotFound(net_id=net_id)
    return net


async def segments_of(s: AsyncSession, ids: list[str]) -> dict[str, list[Segment]]:
    found: dict[str, list[Segment]] = {i: [] for i in ids}
    rows = await s.execute(
        select(
            NetworkSegment.network_id,
            NetworkSegment.network_type,
            NetworkSegment.physical_network,
            NetworkSegment.segmentation_id,
        )
        .where(NetworkSegment.network_id.in_(ids), NetworkSegment.is_dynamic.is_(False))
        .order_by(NetworkSegment.network_id, NetworkSegment.segment_index)
    )
    for net_id, kind, physnet, seg_id in rows:
        found[net_id].append(Segment(kind, physnet, seg_id))
    return found


async def _views(s: AsyncSession, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [row[0].id for row in rows]
    segments = await segments_of(s, ids)
    subnets: dict[str, list[str]] = {i: [] for i in ids}
    for net_id, subnet_id in await s.execute(
        select(Subnet.network_id, Subnet.id)
        .where(Subnet.network_id.in_(ids))
        .order_by(Subnet.created_at, Subnet.id)
    ):
        subnets[net_id].append(subnet_id)
    tags = await standard.tags_of(s, TAGS, ids)
    azs = await zones.of_networks(s, ids)
    return [
        _view(row, segments[row[0].id], subnets[row[0].id], tags[row[0].id], azs.get(row[0].id, []))
        for row in rows
    ]


def _view(
    row: Any, segments: list[Segment], subnets: list[str], tags: list[str], azs: list[str]
) -> dict[str, Any]:
    net, shared = row[0], bool(row[1])
    view: dict[str, Any] = {
        "id": net.id,
        "name": net.name,
        "tenant_id": net.project_id,
        "project_id": net.project_id,
        "status": net.status,
        "admin_state_up": net.admin_state_up,
        "shared": shared,
        "subnets": subnets,
        "mtu": net.mtu,
        "port_security_enabled": net.port_security_enabled,
        "router:external": net.router_external,
        "availability_zone_hints": list(net.availability_zone_hints),
        "availability_zones": azs,
        "dns_domain": net.dns_domain,
        "tags": tags,
        **standard.standard_view(net),
    }
    if net.router_external:
        # Only external networks can be the default one, and only they show it.
        view["is_default"] = net.is_default
    view.update(provider_view(segments))
    return view


def provider_view(segments: list[Segment]) -> dict[str, Any]:
    """One segment as ``provider:*`` attributes; several as a ``segments`` list."""
    if len(segments) > 1:
        return {"segments": [_segment_view(seg) for seg in segments]}
    if segments:
        return _segment_view(segments[0])
    return {NETWORK_TYPE: None, PHYSICAL_NETWORK: None, SEGMENTATION_ID: None}


def _segment_view(seg: Segment) -> dict[str, Any]:
    return {
        NETWORK_TYPE: seg.network_type,
        PHYSICAL_NETWORK: seg.physical_network,
        SEGMENTATION_ID: seg.segmentation_id,
    }


async def blocking_ports(s: AsyncSession, net_id: str) -> bool:
    """Whether ports other than the network's own ones are on it."""
    found = await s.scalar(
        select(Port.id)
        .where(Port.network_id == net_id, Port.device_owner.not_in(AUTO_DELETE_OWNERS))
        .limit(1)
    )
    return found is not None


async def remove_rows(s: AsyncSession, net_id: str) -> list[Segment]:
    """Delete the network and everything on it; the segments it held, to release."""
    segments = (await segments_of(s, [net_id]))[net_id]
    subnet_ids = list(await s.scalars(select(Subnet.id).where(Subnet.network_id == net_id)))
    port_ids = list(await s.scalars(select(Port.id).where(Port.network_id == net_id)))
    await standard.clear_tags(s, "ports", port_ids)
    await standard.clear_tags(s, "subnets", subnet_ids)
    await standard.clear_tags(s, TAGS, [net_id])
    await rbac.drop_all(s, "network", [net_id])
    await s.execute(delete(Port).where(Port.network_id == net_id))
    await s.execute(delete(Subnet).where(Subnet.network_id == net_id))
    await s.execute(delete(Network).where(Network.id == net_id))
    return segments
