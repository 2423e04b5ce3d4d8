"""Which DHCP agents host which networks (``networkdhcpagentbindings``), and scheduling.

A network with a DHCP-enabled subnet is hosted by every live DHCP agent: a subnet
create schedules its network onto the agents alive then, and an agent asking for its
networks is first bound to every DHCP network (so an agent that starts later, or comes
back, picks them all up). Bindings are inserted with insert-if-absent, so two
schedulers racing for one pair write one row. An agent that dies keeps its bindings;
a network's DHCP then waits for it, exactly as its ports' DHCP blocks do.
"""

from __future__ import annotations

import time

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.db.models import Agent, IPAllocation, NetworkDhcpAgentBinding, Subnet
from nimbostack.network.db.sql import insert_many_ignore
from nimbostack.network.dhcp_messages import DHCP_AGENT_TYPE


def _live(down_time: float) -> ColumnElement[bool]:
    return (
        (Agent.agent_type == DHCP_AGENT_TYPE)
        & Agent.admin_state_up.is_(True)
        & (Agent.heartbeat_timestamp > time.time() - down_time)
    )


def _dhcp_networks() -> Select[str]:
    return select(Subnet.network_id).where(Subnet.enable_dhcp.is_(True)).distinct()


async def schedule(s: AsyncSession, network_id: str, down_time: float) -> None:
    """Host the network on every live DHCP agent if it has a DHCP-enabled subnet."""
    has_dhcp = await s.scalar(
        select(exists().where(Subnet.network_id == network_id, Subnet.enable_dhcp.is_(True)))
    )
    if not has_dhcp:
        return
    agent_ids = await s.scalars(select(Agent.id).where(_live(down_time)))
    rows = [{"network_id": network_id, "dhcp_agent_id": a} for a in agent_ids]
    await insert_many_ignore(s, NetworkDhcpAgentBinding, rows)


async def active_networks(s: AsyncSession, host: str, down_time: float) -> list[str]:
    """The networks the host's DHCP agent serves, after binding it to every DHCP network."""
    agent_id = await s.scalar(select(Agent.id).where(Agent.host == host, _live(down_time)))
    if agent_id is None:
        return []
    wanted = await s.scalars(_dhcp_networks())
    rows = [{"network_id": n, "dhcp_agent_id": agent_id} for n in wanted]
    await insert_many_ignore(s, NetworkDhcpAgentBinding, rows)
    found = await s.scalars(
        select(NetworkDhcpAgentBinding.network_id)
        .where(NetworkDhcpAgentBinding.dhcp_agent_id == agent_id)
        .order_by(NetworkDhcpAgentBinding.network_id)
    )
    return list(found)


async def hosts_of(s: AsyncSession, network_id: str) -> list[str]:
    """The hosts of the DHCP agents hosting a network (alive or not)."""
    found = await s.scalars(
        select(Agent.host)
        .join(NetworkDhcpAgentBinding, NetworkDhcpAgentBinding.dhcp_agent_id == Agent.id)
        .where(NetworkDhcpAgentBinding.network_id == network_id)
        .order_by(Agent.host)
    )
    return list(found)


async def needs_block(s: AsyncSession, port_id: str, network_id: str, down_time: float) -> bool:
    """Whether a port waits for DHCP: it has an address on a DHCP subnet, served live."""
    on_dhcp_subnet = exists().where(
        IPAllocation.port_id == port_id,
        IPAllocation.subnet_id == Subnet.id,
        Subnet.enable_dhcp.is_(True),
    )
    served = exists().where(
        NetworkDhcpAgentBinding.network_id == network_id,
        NetworkDhcpAgentBinding.dhcp_agent_id == Agent.id,
        _live(down_time),
    )
    return bool(await s.scalar(select(on_dhcp_subnet & served)))


async def networks_of_agent(s: AsyncSession, agent_id: str) -> list[str]:
    """The ids of the networks an agent hosts."""
    found = await s.scalars(
        select(NetworkDhcpAgentBinding.network_id)
        .where(NetworkDhcpAgentBinding.dhcp_agent_id == agent_id)
        .order_by(NetworkDhcpAgentBinding.network_id)
    )
    return list(found)


async def agents_of_network(s: AsyncSession, network_id: str) -> list[str]:
    """The ids of the DHCP agents hosting a network."""
    found = await s.scalars(
        select(NetworkDhcpAgentBinding.dhcp_agent_id)
        .where(NetworkDhcpAgentBinding.network_id == network_id)
        .order_by(NetworkDhcpAgentBinding.dhcp_agent_id)
    )
    return list(found)
