"""Where a VXLAN network's ports are (l2population): each port's host and that host's VTEP.

A host's VTEP is the ``tunneling_ip`` its Linux-bridge agent last reported; a port
counts once it is ACTIVE on the host its active binding names. Agents learn this with
``GetTunnelPeers`` when they wire a network, and through ``FdbAdd``/``FdbRemove`` casts
built from ``entry`` as ports come and go.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.agent_messages import (
    LINUXBRIDGE_AGENT,
    FdbAdd,
    FdbRemove,
    PeerPort,
    TunnelPeer,
)
from nimbostack.network.db.models import Agent, IPAllocation, Port, PortBinding
from nimbostack.network.objects import networks
from nimbostack.network.objects.port_view import BINDING_ACTIVE

VXLAN = "vxlan"
ACTIVE = "ACTIVE"


async def tunnel_peers(s: AsyncSession, network_id: str, host: str) -> list[TunnelPeer]:
    """The VTEPs of other hosts with ACTIVE ports on the network, and those ports."""
    rows = await s.execute(
        select(PortBinding.host, Port.id, Port.mac_address)
        .join(Port, Port.id == PortBinding.port_id)
        .where(
            Port.network_id == network_id,
            Port.status == ACTIVE,
            PortBinding.status == BINDING_ACTIVE,
            PortBinding.host != host,
            PortBinding.host != "",
        )
        .order_by(PortBinding.host, Port.mac_address)
    )
    found = list(rows)
    vteps = await _vteps(s, {row.host for row in found})
    ips = await _ips(s, [row.id for row in found])
    by_vtep: dict[str, list[PeerPort]] = defaultdict(list)
    for row in found:
        vtep = vteps.get(row.host)
        if vtep:
            by_vtep[vtep].append(PeerPort(mac=row.mac_address, ips=ips.get(row.id, [])))
    return [TunnelPeer(tunnel_ip=ip, ports=ports) for ip, ports in sorted(by_vtep.items())]


async def entry(s: AsyncSession, port_id: str) -> FdbAdd | None:
    """The forwarding entry of a port on a VXLAN network at its host's VTEP (else None).

    Read while the port still exists; the same fields make the ``FdbRemove`` once it
    is gone (``removal``).
    """
    row = (
        await s.execute(
            select(Port.network_id, Port.mac_address, PortBinding.host)
            .join(PortBinding, PortBinding.port_id == Port.id)
            .where(Port.id == port_id, PortBinding.status == BINDING_ACTIVE)
        )
    ).first()
    if row is None or not row.host:
        return None
    segments = (await networks.segments_of(s, [row.network_id]))[row.network_id]
    segment = segments[0] if segments else None
    if segment is None or segment.network_type != VXLAN or segment.segmentation_id is None:
        return None
    vtep = (await _vteps(s, {row.host})).get(row.host)
    if not vtep:
        return None
    return FdbAdd(
        network_id=row.network_id,
        segmentation_id=segment.segmentation_id,
        tunnel_ip=vtep,
        mac=row.mac_address,
        ips=(await _ips(s, [port_id])).get(port_id, []),
    )


def removal(added: FdbAdd) -> FdbRemove:
    """The cast that undoes ``added``."""
    return FdbRemove(
        network_id=added.network_id,
        segmentation_id=added.segmentation_id,
        tunnel_ip=added.tunnel_ip,
        mac=added.mac,
        ips=list(added.ips),
    )


async def _vteps(s: AsyncSession, hosts: set[str]) -> dict[str, str]:
    if not hosts:
        return {}
    rows = await s.execute(
        select(Agent.host, Agent.configurations).where(
            Agent.agent_type == LINUXBRIDGE_AGENT, Agent.host.in_(hosts)
        )
    )
    return {
        host: str(config["tunneling_ip"])
        for host, config in rows
        if isinstance(config, dict) and config.get("tunneling_ip")
    }


async def _ips(s: AsyncSession, port_ids: list[str]) -> dict[str, list[str]]:
    if not port_ids:
        return {}
    found: dict[str, list[str]] = defaultdict(list)
    rows = await s.execute(
        select(IPAllocation.port_id, IPAllocation.ip_address)
        .where(IPAllocation.port_id.in_(port_ids))
        .order_by(IPAllocation.port_id, IPAllocation.ip_address)
    )
    for port_id, address in rows:
        found[port_id].append(address)
    return found
