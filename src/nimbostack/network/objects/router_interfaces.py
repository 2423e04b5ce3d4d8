"""Router interfaces: attach a subnet (a new port with its gateway IP) or a port; detach.

The caller's request runs in one transaction holding the router's row lock, so two
attachments of one subnet to one router take turns and the second finds the first
(400); two routers taking one subnet's gateway IP collide on the address's unique key
under the network's lock (409 ``IpAddressAlreadyAllocated``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network import errors, l3_errors
from nimbostack.network.db.models import FloatingIP, IPAllocation, Port, Router, RouterPort
from nimbostack.network.objects import port_writes, router_routes, routers, standard, subnets
from nimbostack.network.objects.scope import Scope

Interface = tuple[str, str, str, str]  # port id, network id, subnet id, address


def _check_subnets(existing: list[Interface], wanted: list[dict[str, Any]]) -> None:
    """400 if the router is on one of ``wanted`` already."""
    on_router = {sub for _, _, sub, _ in existing}
    for subnet in wanted:
        if subnet["id"] in on_router:
            raise l3_errors.bad_router(f"Router already has a port on subnet {subnet['id']}")


async def _check_overlaps(
    s: AsyncSession, existing: list[Interface], wanted: list[dict[str, Any]]
) -> None:
    """400 if one of ``wanted`` overlaps a subnet the router is on (one router, one
    address space)."""
    for subnet_id in dict.fromkeys(sub for _, _, sub, _ in existing):
        other = await subnets.find(s, Scope.admin(), subnet_id)
        for subnet in wanted:
            if ipaddress.ip_network(other["cidr"]).overlaps(ipaddress.ip_network(subnet["cidr"])):
                raise l3_errors.bad_router(
                    f"Cidr {subnet['cidr']} of subnet {subnet['id']} overlaps with cidr "
                    f"{other['cidr']} of subnet {other['id']}"
                )


def answer(router: Router, port_id: str, net_id: str, subnet_ids: list[str]) -> dict[str, Any]:
    """The body of add_router_interface and remove_router_interface."""
    return {
        "id": router.id,
        "tenant_id": router.project_id,
        "project_id": router.project_id,
        "port_id": port_id,
        "network_id": net_id,
        "subnet_id": subnet_ids[0] if subnet_ids else None,
        "subnet_ids": subnet_ids,
    }


async def add(
    s: AsyncSession, conf: Config, caller: Scope, router_id: str, info: dict[str, Any]
) -> dict[str, Any]:
    router = await routers.lock(s, caller, router_id)
    existing = await routers.interface_ports(s, router.id)
    if info.get("port_id"):
        port_id, net_id, wanted = await _take_port(s, caller, router, info["port_id"])
        _check_subnets(existing, wanted)
        await _check_overlaps(s, existing, wanted)
    else:
        subnet = await subnets.find(s, caller, info["subnet_id"])
        _check_subnets(existing, [subnet])
        if not subnet["gateway_ip"]:
            raise l3_errors.bad_router("Subnet for router interface must have a gateway IP")
        await _check_overlaps(s, existing, [subnet])
        wanted, net_id = [subnet], subnet["network_id"]
        port = {
            "project_id": router.project_id,
            "network_id": net_id,
            "device_owner": routers.INTERFACE,
            "device_id": router.id,
            "admin_state_up": True,
            "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
        }
        port_id = await port_writes.create(s, conf, Scope.admin(), port, quota=False)
    s.add(RouterPort(router_id=router.id, port_id=port_id, port_type=routers.INTERFACE))
    await s.flush()
    await standard.bump(s, Router, router.id)
    return answer(router, port_id, net_id, [sub["id"] for sub in wanted])


async def _take_port(
    s: AsyncSession, caller: Scope, router: Router, port_id: str
) -> tuple[str, str, list[dict[str, Any]]]:
    """Lock a port the caller can see and make it the router's (409 if it has a device)."""
    stmt = select(Port).where(Port.id == port_id).with_for_update()
    if not caller.is_admin:
        stmt = stmt.where(Port.project_id == caller.project_id)
    port = await s.scalar(stmt)
    if port is None:
        raise errors.PortNotFound(port_id=port_id)
    if (port.device_id and port.device_id != router.id) or port.device_owner.startswith("network:"):
        raise l3_errors.PortInUse(port_id=port.id, net_id=port.network_id, device_id=port.device_id)
    subnet_ids = list(
        await s.scalars(select(IPAllocation.subnet_id).where(IPAllocation.port_id == port.id))
    )
    if not subnet_ids:
        raise l3_errors.bad_router("Router port must have at least one fixed IP")
    wanted = [await subnets.find(s, Scope.admin(), sub) for sub in dict.fromkeys(subnet_ids)]
    await standard.bump(s, Port, port.id, device_id=router.id, device_owner=routers.INTERFACE)
    return port.id, port.network_id, wanted


async def remove(
    s: AsyncSession, caller: Scope, router_id: str, info: dict[str, Any]
) -> dict[str, Any]:
    router = await routers.lock(s, caller, router_id)
    existing = await routers.interface_ports(s, router.id)
    port_id, subnet_id = info.get("port_id"), info.get("subnet_id")
    if port_id:
        found = [i for i in existing if i[0] == port_id]
        if not found:
            raise l3_errors.RouterInterfaceNotFound(router_id=router.id, port_id=port_id)
        if subnet_id and not any(i[2] == subnet_id for i in found):
            raise l3_errors.RouterInterfaceNotFoundForSubnet(
                router_id=router.id, subnet_id=subnet_id
            )
    else:
        found = [i for i in existing if i[2] == subnet_id]
        if not found:
            raise l3_errors.RouterInterfaceNotFoundForSubnet(
                router_id=router.id, subnet_id=subnet_id
            )
    gone = [i[2] for i in found]
    await _check_unused(s, router.id, gone)
    await s.execute(delete(Port).where(Port.id == found[0][0]))
    await standard.bump(s, Router, router.id)
    return answer(router, found[0][0], found[0][1], gone)


async def _check_unused(s: AsyncSession, router_id: str, subnet_ids: list[str]) -> None:
    """409 if a floating IP or an extra route of the router needs one of these subnets."""
    for subnet_id in subnet_ids:
        fip = await s.scalar(
            select(FloatingIP.id)
            .join(
                IPAllocation,
                (IPAllocation.port_id == FloatingIP.fixed_port_id)
                & (IPAllocation.ip_address == FloatingIP.fixed_ip_address),
            )
            .where(FloatingIP.router_id == router_id, IPAllocation.subnet_id == subnet_id)
            .limit(1)
        )
        if fip is not None:
            raise l3_errors.RouterInterfaceInUseByFloatingIP(
                router_id=router_id, subnet_id=subnet_id
            )
        cidr = (await subnets.find(s, Scope.admin(), subnet_id))["cidr"]
        if await router_routes.needed_by_routes(s, router_id, cidr):
            raise l3_errors.RouterInterfaceInUseByRoute(router_id=router_id, subnet_id=subnet_id)
