"""Port binding and provisioning: which host wires a port, and when the port goes ACTIVE.

``bind`` runs in the transaction that set or changed ``binding:host_id``: it asks the
Linux-bridge mechanism driver about the host's live agent and records the outcome on
the port's active binding. A port bound to a host gets an ``L2`` provisioning block and
stays DOWN until that host's agent reports the device up (``device_up``), which lifts
the block. A compute port with an address on a DHCP-enabled subnet of a network a live
DHCP agent hosts also gets a ``DHCP`` block, lifted when dnsmasq serves it
(``dhcp_ready``). The port goes ACTIVE when no block is left, in the same transaction,
under the port's row lock, so two reports never both see themselves as the last.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.agent_messages import LINUXBRIDGE_AGENT, AddressPair, DeviceDetails
from nimbostack.network.db.models import (
    AllowedAddressPair,
    IPAllocation,
    Network,
    Port,
    PortBinding,
    ProvisioningBlock,
    SecurityGroupPortBinding,
)
from nimbostack.network.ml2 import linuxbridge
from nimbostack.network.objects import agents, dhcp_agents, networks
from nimbostack.network.objects.port_view import BINDING_ACTIVE

L2_ENTITY = "L2"
DHCP_ENTITY = "DHCP"
ACTIVE = "ACTIVE"
DOWN = "DOWN"


@dataclass(frozen=True)
class Provisioned:
    """A port that just went ACTIVE, for the compute notification."""

    port_id: str
    device_id: str
    device_owner: str


async def bind(s: AsyncSession, port_id: str, down_time: float) -> str:
    """Bind the port on its binding's host (or unbind it if none); the VIF type recorded."""
    row = (
        await s.execute(
            select(PortBinding.host, Port.network_id, Port.device_owner)
            .join(Port, Port.id == PortBinding.port_id)
            .where(PortBinding.port_id == port_id, PortBinding.status == BINDING_ACTIVE)
        )
    ).one()
    host, network_id, owner = row
    await s.execute(delete(ProvisioningBlock).where(ProvisioningBlock.port_id == port_id))
    if not host:
        outcome = linuxbridge.Bound(linuxbridge.VIF_TYPE_UNBOUND, {})
    else:
        agent = await agents.live(s, LINUXBRIDGE_AGENT, host, down_time)
        config = agents.configuration(agent) if agent is not None else None
        segments = (await networks.segments_of(s, [network_id]))[network_id]
        outcome = linuxbridge.bind(network_id, segments, config)
    await s.execute(
        update(PortBinding)
        .where(PortBinding.port_id == port_id, PortBinding.status == BINDING_ACTIVE)
        .values(vif_type=outcome.vif_type, vif_details=outcome.vif_details)
        .execution_options(synchronize_session=False)
    )
    if outcome.vif_type == linuxbridge.VIF_TYPE_BRIDGE:
        s.add(ProvisioningBlock(port_id=port_id, entity=L2_ENTITY))
        if str(owner).startswith("compute:") and await dhcp_agents.needs_block(
            s, port_id, network_id, down_time
        ):
            s.add(ProvisioningBlock(port_id=port_id, entity=DHCP_ENTITY))
    await _set_status(s, port_id, DOWN)
    await s.flush()
    return outcome.vif_type


async def device_up(s: AsyncSession, device: str, host: str) -> Provisioned | None:
    """The host's agent wired the device: lift the L2 block; the port if it went ACTIVE."""
    port = await _bound_here(s, device, host, lock=True)
    if port is None:
        return None
    await _lift(s, port, L2_ENTITY)
    return await _activate_if_unblocked(s, port)


async def dhcp_ready(s: AsyncSession, port_id: str) -> Provisioned | None:
    """dnsmasq serves the port: lift its DHCP block; the port if it went ACTIVE."""
    port = await s.scalar(select(Port).where(Port.id == port_id).with_for_update())
    if port is None or not await _lift(s, port, DHCP_ENTITY):
        return None
    return await _activate_if_unblocked(s, port)


async def _lift(s: AsyncSession, port: Port, entity: str) -> bool:
    """Remove the port's block of ``entity``; whether it had one."""
    found = await s.scalar(
        delete(ProvisioningBlock)
        .where(ProvisioningBlock.port_id == port.id, ProvisioningBlock.entity == entity)
        .returning(ProvisioningBlock.entity)
    )
    return found is not None


async def _activate_if_unblocked(s: AsyncSession, port: Port) -> Provisioned | None:
    left = await s.scalar(select(func.count()).where(ProvisioningBlock.port_id == port.id))
    if left or port.status == ACTIVE:
        return None
    await _set_status(s, port.id, ACTIVE)
    return Provisioned(port.id, port.device_id, port.device_owner)


async def device_down(s: AsyncSession, device: str, host: str) -> bool:
    """The host's agent unwired the device: the port goes DOWN; whether one did."""
    port = await _bound_here(s, device, host, lock=True)
    if port is None:
        return False
    await _set_status(s, port.id, DOWN)
    return True


async def details(s: AsyncSession, device: str, host: str) -> DeviceDetails:
    """What the host's agent needs to wire the device (ids empty: not bound here)."""
    port = await _bound_here(s, device, host, lock=False)
    if port is None:
        return DeviceDetails(device=device)
    net = await s.get(Network, port.network_id)
    assert net is not None
    segments = (await networks.segments_of(s, [net.id]))[net.id]
    segment = segments[0] if segments else None
    ips = await s.scalars(
        select(IPAllocation.ip_address)
        .where(IPAllocation.port_id == port.id)
        .order_by(IPAllocation.subnet_id, IPAllocation.ip_address)
    )
    groups = await s.scalars(
        select(SecurityGroupPortBinding.security_group_id).where(
            SecurityGroupPortBinding.port_id == port.id
        )
    )
    pairs = await s.execute(
        select(AllowedAddressPair.ip_address, AllowedAddressPair.mac_address)
        .where(AllowedAddressPair.port_id == port.id)
        .order_by(AllowedAddressPair.ip_address, AllowedAddressPair.mac_address)
    )
    return DeviceDetails(
        device=device,
        port_id=port.id,
        network_id=net.id,
        mac_address=port.mac_address,
        admin_state_up=port.admin_state_up,
        network_type=segment.network_type if segment else "",
        physical_network=segment.physical_network if segment else None,
        segmentation_id=segment.segmentation_id if segment else None,
        mtu=net.mtu,
        fixed_ips=list(ips),
        security_group_ids=sorted(groups),
        port_security_enabled=port.port_security_enabled,
        device_owner=port.device_owner,
        allowed_address_pairs=[AddressPair(ip, mac) for ip, mac in pairs],
    )


TAP_ID_LENGTH = 11


def _device_filter(device: str) -> object:
    """A device is a tap (``tap`` + the port id's first 11 characters) or a port id."""
    if device.startswith("tap") and len(device) == 3 + TAP_ID_LENGTH:
        return Port.id.startswith(device[3:], autoescape=True)
    return Port.id == device


async def _bound_here(s: AsyncSession, device: str, host: str, *, lock: bool) -> Port | None:
    stmt = (
        select(Port)
        .join(PortBinding, PortBinding.port_id == Port.id)
        .where(
            _device_filter(device),  # type: ignore[arg-type]
            PortBinding.host == host,
            PortBinding.status == BINDING_ACTIVE,
        )
        .limit(1)
    )
    if lock:
        stmt = stmt.with_for_update(of=Port)
    port = await s.scalar(stmt)
    return port


async def _set_status(s: AsyncSession, port_id: str, status: str) -> None:
    await s.execute(
        update(Port)
        .where(Port.id == port_id)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
