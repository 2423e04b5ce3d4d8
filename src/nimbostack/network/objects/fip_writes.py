"""Floating IP create, association, and delete: one transaction each.

Concurrency: a create takes the project's quota lock, then the external network's lock
(through ``port_writes.create``, which makes the floating IP's own port). An
association locks the internal port's row first, then the floating IP's, in that order
everywhere (a port delete holds the port's lock when it detaches its floating IPs), so
two associations of one fixed IP take turns and the second finds the first (409).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors, l3_errors
from nimbostack.network.db.models import (
    FloatingIP,
    IPAllocation,
    Port,
    Router,
    RouterPort,
    Subnet,
)
from nimbostack.network.objects import (
    floating_ips,
    networks,
    port_writes,
    quotas,
    routers,
    standard,
)
from nimbostack.network.objects.scope import Scope


async def _addresses(s: AsyncSession, net_id: str, item: dict[str, Any]) -> list[dict[str, str]]:
    """The fixed_ips of the floating IP's port: those asked for, else an IPv4 subnet."""
    wanted = {k: item[k] for k in ("subnet_id",) if item.get(k)}
    if item.get("floating_ip_address"):
        wanted["ip_address"] = item["floating_ip_address"]
    if wanted:
        return [wanted]
    subnet_id = await s.scalar(
        select(Subnet.id)
        .where(Subnet.network_id == net_id, Subnet.ip_version == 4)
        .order_by(Subnet.created_at, Subnet.id)
        .limit(1)
    )
    if subnet_id is None:
        raise l3_errors.bad_floatingip(f"Network {net_id} does not contain any IPv4 subnet")
    return [{"subnet_id": subnet_id}]


async def create(s: AsyncSession, conf: Config, caller: Scope, item: dict[str, Any]) -> str:
    """Create the floating IP of a parsed request (associated if it names a port)."""
    project = item["project_id"]
    await quotas.check(s, conf, project, {"floatingip": 1})
    net_id = item["floating_network_id"]
    net = await networks.lock(s, caller, net_id)
    if not net.router_external:
        raise l3_errors.bad_floatingip(f"Network {net_id} is not a valid external network")
    fip_id = standard.new_id()
    port = {
        "project_id": "",
        "network_id": net_id,
        "device_owner": floating_ips.OWNER,
        "device_id": fip_id,
        "admin_state_up": True,
        "fixed_ips": await _addresses(s, net_id, item),
    }
    port_id = await port_writes.create(s, conf, Scope.admin(), port, quota=False)
    address = await s.scalar(
        select(IPAllocation.ip_address).where(IPAllocation.port_id == port_id).limit(1)
    )
    fip = FloatingIP(
        **standard.stamp(
            id=fip_id,
            project_id=project,
            description=item.get("description", ""),
            floating_ip_address=address,
            floating_network_id=net_id,
            floating_port_id=port_id,
            status="DOWN",
        )
    )
    s.add(fip)
    await s.flush()
    if item.get("port_id"):
        await _associate(s, caller, fip, item["port_id"], item.get("fixed_ip_address"))
    if item.get("tags"):
        await standard.set_tags(s, floating_ips.TAGS, fip_id, item["tags"])
    return fip_id


async def update(
    s: AsyncSession, caller: Scope, fip_id: str, changes: dict[str, Any], expected: int | None
) -> None:
    """Change the description or the association (``port_id`` null: disassociate)."""
    port_id = changes.get("port_id")
    if port_id:
        await _lock_port(s, caller, port_id)
    fip = await floating_ips.lock(s, caller, fip_id)
    if expected is not None and fip.revision_number != expected:
        raise errors.RevisionNumberConstraintFailed(expected=expected, current=fip.revision_number)
    if port_id:
        await _associate(s, caller, fip, port_id, changes.get("fixed_ip_address"))
    elif "port_id" in changes:
        fip.fixed_port_id = fip.fixed_ip_address = fip.router_id = None
        fip.status = "DOWN"
    elif "fixed_ip_address" in changes:
        raise l3_errors.bad_floatingip("fixed_ip_address cannot be specified without a port_id")
    await s.flush()
    values = {"description": changes["description"]} if "description" in changes else {}
    await standard.bump(s, FloatingIP, fip_id, **values)


async def delete_fip(s: AsyncSession, caller: Scope, fip_id: str, expected: int | None) -> None:
    fip = await floating_ips.lock(s, caller, fip_id)
    if expected is not None and fip.revision_number != expected:
        raise errors.RevisionNumberConstraintFailed(expected=expected, current=fip.revision_number)
    port_id = fip.floating_port_id
    await standard.clear_tags(s, floating_ips.TAGS, [fip_id])
    await s.execute(delete(FloatingIP).where(FloatingIP.id == fip_id))
    await s.execute(delete(Port).where(Port.id == port_id))


async def _lock_port(s: AsyncSession, caller: Scope, port_id: str) -> Port:
    stmt = select(Port).where(Port.id == port_id).with_for_update()
    if not caller.is_admin:
        stmt = stmt.where(Port.project_id == caller.project_id)
    port = await s.scalar(stmt.execution_options(populate_existing=True))
    if port is None:
        raise errors.PortNotFound(port_id=port_id)
    return port


async def _associate(
    s: AsyncSession, caller: Scope, fip: FloatingIP, port_id: str, fixed_ip: str | None
) -> None:
    port = await _lock_port(s, caller, port_id)
    if port.project_id != fip.project_id and not caller.is_admin:
        raise l3_errors.bad_floatingip(
            f"Cannot process floating IP association with Port {port_id}, since that port "
            "is owned by a different tenant"
        )
    if port.device_owner.startswith("network:"):
        raise l3_errors.bad_floatingip(
            f"Port {port_id} has owner {port.device_owner} and therefore cannot be "
            "associated with a floating IP"
        )
    subnet_id, address = await _fixed_address(s, port_id, fixed_ip)
    router_id = await _router_for(s, fip.floating_network_id, subnet_id)
    if router_id is None:
        raise l3_errors.ExternalGatewayForFloatingIPNotFound(
            external_network_id=fip.floating_network_id, subnet_id=subnet_id, port_id=port_id
        )
    taken = await s.scalar(
        select(FloatingIP.id).where(
            FloatingIP.fixed_port_id == port_id,
            FloatingIP.fixed_ip_address == address,
            FloatingIP.floating_network_id == fip.floating_network_id,
            FloatingIP.id != fip.id,
        )
    )
    if taken is not None:
        raise l3_errors.FloatingIPPortAlreadyAssociated(
            floating_ip_address=fip.floating_ip_address,
            fip_id=fip.id,
            port_id=port_id,
            fixed_ip=address,
            net_id=fip.floating_network_id,
        )
    fip.fixed_port_id, fip.fixed_ip_address = port_id, address
    fip.router_id = fip.last_known_router_id = router_id
    await s.flush()


async def _fixed_address(s: AsyncSession, port_id: str, wanted: str | None) -> tuple[str, str]:
    """(subnet, address) of the port's fixed IP to use: the one asked for, or its only
    IPv4 address."""
    rows = (
        await s.execute(
            select(IPAllocation.subnet_id, IPAllocation.ip_address).where(
                IPAllocation.port_id == port_id
            )
        )
    ).all()
    if wanted is not None:
        found = [(sub, ip) for sub, ip in rows if ip == wanted]
        if not found:
            raise l3_errors.bad_floatingip(f"Port {port_id} does not have fixed ip {wanted}")
        return found[0][0], found[0][1]
    v4 = [(sub, ip) for sub, ip in rows if ipaddress.ip_address(ip).version == 4]
    if not v4:
        raise l3_errors.bad_floatingip(
            f"Cannot add floating IP to port {port_id} that has no fixed IPv4 addresses"
        )
    if len(v4) > 1:
        raise l3_errors.bad_floatingip(
            f"Port {port_id} has multiple fixed IPv4 addresses.  Must provide a specific "
            "IPv4 address when assigning a floating IP"
        )
    return v4[0][0], v4[0][1]


async def _router_for(s: AsyncSession, external_net_id: str, subnet_id: str) -> str | None:
    """A router with an interface on ``subnet_id`` and its gateway on the external net."""
    gateway = select(Port.id).where(Port.network_id == external_net_id)
    on_subnet = (
        select(RouterPort.router_id)
        .join(IPAllocation, IPAllocation.port_id == RouterPort.port_id)
        .where(IPAllocation.subnet_id == subnet_id, RouterPort.port_type == routers.INTERFACE)
    )
    return await s.scalar(
        select(Router.id)
        .where(Router.id.in_(on_subnet), Router.gw_port_id.in_(gateway))
        .order_by(Router.created_at, Router.id)
        .limit(1)
    )
