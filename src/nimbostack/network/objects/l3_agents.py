"""Routers on L3 agents: scheduling, and the ``RouterInfo`` an agent builds a router from.

A router is hosted by one live L3 agent (``routerl3agentbindings``), the one with the
fewest routers when it is scheduled; an agent that syncs everything (``GetRouters``
without ids) also takes the routers no live agent hosts. Floating IP statuses come back
from the hosting agent, and only for floating IPs still on that router.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.db.models import (
    Agent,
    FloatingIP,
    IPAllocation,
    Network,
    Port,
    PortBinding,
    Router,
    RouterL3AgentBinding,
    RouterPort,
    Subnet,
)
from nimbostack.network.l3_messages import (
    L3_AGENT_TYPE,
    ExtraRoute,
    FloatingIpInfo,
    RouterAddress,
    RouterInfo,
    RouterPortInfo,
)
from nimbostack.network.ml2.linuxbridge import VIF_TYPE_BRIDGE
from nimbostack.network.objects import binding, router_routes
from nimbostack.network.objects.port_view import BINDING_ACTIVE

STATUSES = ("ACTIVE", "DOWN", "ERROR")


def _alive(down_time: float) -> Any:
    return (
        (Agent.agent_type == L3_AGENT_TYPE)
        & Agent.admin_state_up.is_(True)
        & (Agent.heartbeat_timestamp > time.time() - down_time)
    )


async def hosts_of(s: AsyncSession, router_id: str) -> list[str]:
    rows = await s.scalars(
        select(Agent.host)
        .join(RouterL3AgentBinding, RouterL3AgentBinding.l3_agent_id == Agent.id)
        .where(RouterL3AgentBinding.router_id == router_id)
    )
    return sorted(rows)


async def agents_of(s: AsyncSession, router_id: str) -> list[str]:
    rows = await s.scalars(
        select(RouterL3AgentBinding.l3_agent_id).where(RouterL3AgentBinding.router_id == router_id)
    )
    return sorted(rows)


async def routers_of(s: AsyncSession, agent_id: str) -> list[str]:
    rows = await s.scalars(
        select(RouterL3AgentBinding.router_id).where(RouterL3AgentBinding.l3_agent_id == agent_id)
    )
    return sorted(rows)


async def schedule(s: AsyncSession, router_id: str, down_time: float) -> list[str]:
    """The hosts of the router, after giving it to the least loaded live agent if no live
    agent hosts it (none: no L3 agent runs)."""
    # The router's row lock makes two schedulings of one router take turns.
    await s.execute(select(Router.id).where(Router.id == router_id).with_for_update())
    live = await s.scalar(
        select(Agent.host)
        .join(RouterL3AgentBinding, RouterL3AgentBinding.l3_agent_id == Agent.id)
        .where(RouterL3AgentBinding.router_id == router_id, _alive(down_time))
        .limit(1)
    )
    if live is not None:
        return [live]
    load = (
        select(func.count()).where(RouterL3AgentBinding.l3_agent_id == Agent.id).scalar_subquery()
    )
    agent = (
        await s.execute(
            select(Agent.id, Agent.host)
            .where(_alive(down_time))
            .order_by(load, Agent.host)
            .limit(1)
        )
    ).first()
    if agent is None:
        return []
    await s.execute(delete(RouterL3AgentBinding).where(RouterL3AgentBinding.router_id == router_id))
    s.add(RouterL3AgentBinding(router_id=router_id, l3_agent_id=agent.id, binding_index=1))
    await s.flush()
    return [agent.host]


async def _take_unhosted(s: AsyncSession, agent_id: str, down_time: float) -> None:
    hosted = (
        select(RouterL3AgentBinding.router_id)
        .join(Agent, Agent.id == RouterL3AgentBinding.l3_agent_id)
        .where(_alive(down_time))
    )
    candidates = select(Router.id).where(Router.id.not_in(hosted)).order_by(Router.id)
    # Lock them, then look again (a new statement sees what a concurrent sync that held
    # them committed): two agents' full syncs never both take one router.
    if not list(await s.scalars(candidates.with_for_update())):
        return
    orphans = list(await s.scalars(candidates))
    if not orphans:
        return
    await s.execute(delete(RouterL3AgentBinding).where(RouterL3AgentBinding.router_id.in_(orphans)))
    s.add_all(RouterL3AgentBinding(router_id=r, l3_agent_id=agent_id) for r in orphans)
    await s.flush()


async def routers_for_host(
    s: AsyncSession, host: str, router_ids: list[str] | None, down_time: float
) -> list[RouterInfo]:
    """The routers an agent on ``host`` hosts (taking unhosted ones on a full sync)."""
    agent_id = await s.scalar(
        select(Agent.id).where(Agent.agent_type == L3_AGENT_TYPE, Agent.host == host)
    )
    if agent_id is None:
        return []
    if router_ids is None:
        await _take_unhosted(s, agent_id, down_time)
    stmt = (
        select(Router)
        .join(RouterL3AgentBinding, RouterL3AgentBinding.router_id == Router.id)
        .where(RouterL3AgentBinding.l3_agent_id == agent_id)
        .order_by(Router.id)
    )
    if router_ids is not None:
        stmt = stmt.where(Router.id.in_(router_ids))
    return [await _info(s, router) for router in await s.scalars(stmt)]


async def _ports(s: AsyncSession, router_id: str) -> dict[str, RouterPortInfo]:
    rows = await s.execute(
        select(Port, Network.mtu, IPAllocation.ip_address, Subnet)
        .join(RouterPort, RouterPort.port_id == Port.id)
        .join(Network, Network.id == Port.network_id)
        .join(IPAllocation, IPAllocation.port_id == Port.id)
        .join(Subnet, Subnet.id == IPAllocation.subnet_id)
        .where(RouterPort.router_id == router_id)
        .order_by(Port.created_at, Port.id, Subnet.id)
    )
    found: dict[str, RouterPortInfo] = {}
    for port, mtu, address, subnet in rows:
        info = found.setdefault(
            port.id, RouterPortInfo(port.id, port.mac_address, port.network_id, int(mtu or 0))
        )
        info.addresses.append(RouterAddress(address, subnet.id, subnet.cidr, subnet.gateway_ip))
    return found


async def _info(s: AsyncSession, router: Router) -> RouterInfo:
    ports = await _ports(s, router.id)
    gateway = ports.pop(router.gw_port_id, None) if router.gw_port_id else None
    fips = await s.scalars(
        select(FloatingIP).where(FloatingIP.router_id == router.id).order_by(FloatingIP.id)
    )
    return RouterInfo(
        id=router.id,
        project_id=router.project_id,
        admin_state_up=router.admin_state_up,
        enable_snat=router.enable_snat,
        gateway=gateway,
        interfaces=list(ports.values()),
        routes=[ExtraRoute(d, n) for d, n in await router_routes.current(s, router.id)],
        floating_ips=[
            FloatingIpInfo(
                f.id, f.floating_ip_address, str(f.fixed_ip_address), str(f.fixed_port_id), f.status
            )
            for f in fips
        ],
    )


async def bind_router_ports(
    s: AsyncSession, host: str, routers: list[RouterInfo], down_time: float
) -> list[str]:
    """Bind the routers' gateway and interface ports to ``host`` where they are not bound
    there yet (or their binding failed); the ports bound now.

    Each port's row is locked first, so two agents' syncs bind a port once, in turn.
    """
    port_ids = sorted(
        port.port_id
        for router in routers
        for port in [*router.interfaces, *([router.gateway] if router.gateway else [])]
    )
    if not port_ids:
        return []
    await s.execute(select(Port.id).where(Port.id.in_(port_ids)).with_for_update())
    rows = await s.execute(
        select(PortBinding.port_id, PortBinding.host, PortBinding.vif_type).where(
            PortBinding.port_id.in_(port_ids), PortBinding.status == BINDING_ACTIVE
        )
    )
    stale = sorted(p for p, h, vif in rows if h != host or vif != VIF_TYPE_BRIDGE)
    for port_id in stale:
        await s.execute(
            update(PortBinding)
            .where(PortBinding.port_id == port_id, PortBinding.status == BINDING_ACTIVE)
            .values(host=host)
            .execution_options(synchronize_session=False)
        )
        await binding.bind(s, port_id, down_time)
    return stale


async def set_fip_statuses(s: AsyncSession, router_id: str, statuses: dict[str, str]) -> int:
    """Record the statuses an agent reports; how many floating IPs changed."""
    by_status: dict[str, list[str]] = defaultdict(list)
    for fip_id, status in statuses.items():
        if status in STATUSES:
            by_status[status].append(fip_id)
    changed = 0
    for status, ids in by_status.items():
        result = await s.execute(
            update(FloatingIP)
            .where(
                FloatingIP.id.in_(ids),
                FloatingIP.router_id == router_id,
                FloatingIP.status != status,
            )
            .values(status=status, revision_number=FloatingIP.revision_number + 1)
            .execution_options(synchronize_session=False)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed
