"""Which instance a metadata request comes from: a fixed IP on a network or behind a router.

A guest is known only by its source address as seen in a namespace on one network (or
on the networks of one router), so the lookup is confined to those networks: an
overlapping address in another project's network never matches. Only a single port
with a ``compute:`` owner identifies an instance; none or several identify nothing.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.db.models import IPAllocation, Port, RouterPort
from nimbostack.network.metadata_messages import InstancePort

# Router ports on a network of the router's own (not its external gateway).
INTERFACE_OWNERS = (
    "network:router_interface",
    "network:router_interface_distributed",
    "network:ha_router_replicated_interface",
)


def _router_networks(router_id: str) -> Select[str]:
    return (
        select(Port.network_id)
        .join(RouterPort, RouterPort.port_id == Port.id)
        .where(RouterPort.router_id == router_id, RouterPort.port_type.in_(INTERFACE_OWNERS))
    )


def _canonical(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


async def instance_for_address(
    s: AsyncSession, ip_address: str, network_id: str | None, router_id: str | None
) -> InstancePort:
    """The single instance port with ``ip_address`` on the network or router's networks."""
    address = _canonical(ip_address)
    if address is None or (network_id is None) == (router_id is None):
        return InstancePort()  # both or neither: a proxy never sends that (spoofed)
    networks = [network_id] if network_id is not None else _router_networks(str(router_id))
    query = (
        select(Port.device_id, Port.project_id)
        .join(IPAllocation, IPAllocation.port_id == Port.id)
        .where(
            IPAllocation.ip_address == address,
            Port.network_id.in_(networks),
            Port.device_owner.startswith("compute:"),
        )
        .limit(2)
    )
    found = (await s.execute(query)).all()
    if len(found) != 1:
        return InstancePort()
    device_id, project_id = found[0]
    return InstancePort(device_id=device_id, tenant_id=project_id)
