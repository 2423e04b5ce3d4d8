"""Availability zones, as the agents report them: DHCP agents' zones hold networks,
L3 agents' zones hold routers. A zone is available while one of its agents is enabled.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.db.models import Agent, NetworkDhcpAgentBinding

DHCP_AGENT = "DHCP agent"
L3_AGENT = "L3 agent"
RESOURCE_OF = {DHCP_AGENT: "network", L3_AGENT: "router"}


async def zones(s: AsyncSession) -> dict[tuple[str, str], str]:
    """``(zone, resource) -> "available" | "unavailable"`` for every reported zone."""
    found: dict[tuple[str, str], str] = {}
    rows = await s.execute(
        select(Agent.availability_zone, Agent.agent_type, Agent.admin_state_up).where(
            Agent.agent_type.in_(list(RESOURCE_OF)), Agent.availability_zone.is_not(None)
        )
    )
    for zone, agent_type, enabled in rows:
        key = (str(zone), RESOURCE_OF[agent_type])
        if enabled or found.get(key) == "available":
            found[key] = "available"
        else:
            found[key] = "unavailable"
    return found


async def known(s: AsyncSession, resource: str) -> set[str]:
    return {zone for zone, kind in await zones(s) if kind == resource}


async def of_networks(s: AsyncSession, network_ids: list[str]) -> dict[str, list[str]]:
    """The zones of the DHCP agents serving each network."""
    found: dict[str, set[str]] = {n: set() for n in network_ids}
    if not network_ids:
        return {}
    rows = await s.execute(
        select(NetworkDhcpAgentBinding.network_id, Agent.availability_zone)
        .join(Agent, Agent.id == NetworkDhcpAgentBinding.dhcp_agent_id)
        .where(NetworkDhcpAgentBinding.network_id.in_(network_ids))
    )
    for network_id, zone in rows:
        if zone:
            found[network_id].add(str(zone))
    return {n: sorted(z) for n, z in found.items()}
