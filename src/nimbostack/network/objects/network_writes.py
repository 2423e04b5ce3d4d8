"""Network create, update and delete (see ``networks`` for the concurrency model)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors
from nimbostack.network.db.models import FloatingIP, Network, NetworkSegment, Port, RbacEntry
from nimbostack.network.db.sql import lock
from nimbostack.network.ml2.manager import TypeManager
from nimbostack.network.ml2.types import Segment
from nimbostack.network.objects import floating_ips, networks, quotas, rbac, standard, zones
from nimbostack.network.objects.scope import EVERYONE, EXTERNAL, SHARED, Scope

GATEWAY_OWNERS = ("network:router_gateway", "network:floatingip")
MIN_MTU = 68


def _checked_mtu(wanted: int | None, segments: list[Segment], types: TypeManager) -> int:
    largest = types.mtu(segments)
    if wanted is None:
        return largest
    if not MIN_MTU <= wanted <= largest:
        raise errors.InvalidInput(
            error_message=f"Requested MTU is too big, maximum is {largest}"
            if wanted > largest
            else f"Requested MTU is too small, minimum is {MIN_MTU}"
        )
    return wanted


async def _grant(s: AsyncSession, owner: str, net_id: str, action: str) -> None:
    """Share the network with every project (``shared``/``router:external``)."""
    await rbac.grant(
        s, owner=owner, object_type="network", object_id=net_id, action=action, target=EVERYONE
    )


async def _check_zones(s: AsyncSession, hints: list[str]) -> None:
    known = await zones.known(s, "network") if hints else set()
    for hint in hints:
        if hint not in known:
            raise errors.AvailabilityZoneNotFound(availability_zone=hint)


async def create(
    s: AsyncSession,
    conf: Config,
    types: TypeManager,
    item: dict[str, Any],
    requested: list[Segment] | None,
) -> str:
    """Create the network of a parsed request; its id."""
    project = item["project_id"]
    await quotas.check(s, conf, project, {"network": 1})
    hints = item.get("availability_zone_hints") or []
    await _check_zones(s, hints)
    segments = await types.create(s, requested)
    external = bool(item.get("router:external"))
    is_default = external and bool(item.get("is_default"))
    if is_default:
        await _check_single_default(s, "")
    net = Network(
        **standard.stamp(
            id=standard.new_id(),
            project_id=project,
            name=item.get("name", ""),
            description=item.get("description", ""),
            status="ACTIVE",
            admin_state_up=item.get("admin_state_up", True),
            mtu=_checked_mtu(item.get("mtu"), segments, types),
            port_security_enabled=item.get("port_security_enabled", True),
            router_external=external,
            is_default=is_default,
            availability_zone_hints=hints,
            dns_domain=item.get("dns_domain", ""),
        )
    )
    s.add(net)
    s.add_all(
        NetworkSegment(
            **standard.stamp(
                id=standard.new_id(),
                network_id=net.id,
                network_type=seg.network_type,
                physical_network=seg.physical_network,
                segmentation_id=seg.segmentation_id,
                segment_index=index,
            )
        )
        for index, seg in enumerate(segments)
    )
    await s.flush()
    if item.get("shared"):
        await _grant(s, project, net.id, SHARED)
    if item.get("router:external"):
        await _grant(s, project, net.id, EXTERNAL)
    if item.get("tags"):
        await standard.set_tags(s, networks.TAGS, net.id, item["tags"])
    return net.id


async def update(
    s: AsyncSession,
    scope: Scope,
    types: TypeManager,
    net_id: str,
    changes: dict[str, Any],
    *,
    expected: int | None,
) -> None:
    net = await networks.lock(s, scope, net_id)
    values: dict[str, Any] = {}
    for name in ("name", "description", "admin_state_up", "port_security_enabled", "dns_domain"):
        if name in changes:
            values[name] = changes[name]
    if "mtu" in changes:
        segments = (await networks.segments_of(s, [net_id]))[net_id]
        values["mtu"] = _checked_mtu(changes["mtu"], segments, types)
    if "shared" in changes:
        await _set_shared(s, net, bool(changes["shared"]))
    if "router:external" in changes:
        await _set_external(s, net, bool(changes["router:external"]))
        values["router_external"] = bool(changes["router:external"])
    external = values.get("router_external", net.router_external)
    if "is_default" in changes or not external:
        is_default = external and bool(changes.get("is_default", net.is_default))
        if is_default and not net.is_default:
            await _check_single_default(s, net.id)
        values["is_default"] = is_default
    await standard.bump(s, Network, net_id, expected, **values)


async def _delete_free_floating_ips(s: AsyncSession, net_id: str) -> None:
    """Floating IPs of an external network that nothing uses go with it, as in Neutron;
    an associated one keeps the network in use."""
    free = (
        await s.execute(
            select(FloatingIP.id, FloatingIP.floating_port_id).where(
                FloatingIP.floating_network_id == net_id, FloatingIP.fixed_port_id.is_(None)
            )
        )
    ).all()
    if not free:
        return
    await standard.clear_tags(s, floating_ips.TAGS, [row[0] for row in free])
    await s.execute(sql_delete(FloatingIP).where(FloatingIP.id.in_([row[0] for row in free])))
    await s.execute(sql_delete(Port).where(Port.id.in_([row[1] for row in free])))


async def _check_single_default(s: AsyncSession, except_id: str) -> None:
    """Refuse a second default external network (409), under a lock of its own."""
    await lock(s, "default-external-network")
    existing = await s.scalar(
        select(Network.id).where(Network.is_default.is_(True), Network.id != except_id).limit(1)
    )
    if existing is not None:
        raise errors.DefaultExternalNetworkExists(net_id=existing)


async def _set_shared(s: AsyncSession, net: Network, shared: bool) -> None:
    entry_id = await rbac.find(s, "network", net.id, SHARED, EVERYONE)
    if shared and entry_id is None:
        await _grant(s, net.project_id, net.id, SHARED)
    elif not shared and entry_id is not None:
        users = await rbac.dependents(s, "network", net.id, net.project_id, SHARED)
        kept = await rbac.still_granted(s, "network", net.id, projects=users, without=entry_id)
        if users - kept:
            raise errors.InvalidSharedSetting(network=net.id)
        entry = await s.get(RbacEntry, entry_id)
        await s.delete(entry)


async def _set_external(s: AsyncSession, net: Network, external: bool) -> None:
    entry_id = await rbac.find(s, "network", net.id, EXTERNAL, EVERYONE)
    if external and entry_id is None:
        await _grant(s, net.project_id, net.id, EXTERNAL)
    elif not external and net.router_external:
        in_use = await s.scalar(
            select(Port.id)
            .where(Port.network_id == net.id, Port.device_owner.in_(GATEWAY_OWNERS))
            .limit(1)
        )
        if in_use is not None:
            raise errors.ExternalNetworkInUse(net_id=net.id)
        entries = await s.scalars(
            select(RbacEntry).where(
                RbacEntry.object_type == "network",
                RbacEntry.object_id == net.id,
                RbacEntry.action == EXTERNAL,
            )
        )
        for entry in entries:
            await s.delete(entry)


async def delete(
    s: AsyncSession, scope: Scope, types: TypeManager, net_id: str, expected: int | None
) -> None:
    """Delete a network with no ports but its own (409 NetworkInUse otherwise)."""
    net = await networks.lock(s, scope, net_id)
    if expected is not None and net.revision_number != expected:
        raise errors.RevisionNumberConstraintFailed(expected=expected, current=net.revision_number)
    if net.router_external:
        await _delete_free_floating_ips(s, net_id)
    if await networks.blocking_ports(s, net_id):
        raise errors.NetworkInUse(net_id=net_id)
    segments = await networks.remove_rows(s, net_id)
    await types.release(s, segments)
