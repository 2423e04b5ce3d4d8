"""Auto-allocated topologies: one network, its subnets and a router to the outside, per project.

A project asks for "its" network (``GET /v2.0/auto-allocated-topology/<project>``, or
Nova's ``networks: auto``) and gets one without knowing anything about the cloud: a
network ``auto_allocated_network`` with a subnet from each default subnet pool, and a
router ``auto_allocated_router`` from it to the default external network. The whole
topology is made in one transaction under the project's quota lock, so two concurrent
requests make one topology (the second finds the first's), and a failure leaves nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network.db.models import AutoAllocatedTopology, Network, Subnet
from nimbostack.network.errors import AutoAllocationFailure
from nimbostack.network.l3_errors import RouterInterfaceNotFoundForSubnet
from nimbostack.network.ml2.manager import TypeManager
from nimbostack.network.objects import (
    network_writes,
    quotas,
    router_interfaces,
    router_writes,
    subnet_writes,
    subnetpools,
)
from nimbostack.network.objects.scope import Scope

NETWORK_NAME = "auto_allocated_network"
ROUTER_NAME = "auto_allocated_router"
IP_VERSIONS = (4, 6)


@dataclass(frozen=True)
class Topology:
    """What a project's auto-allocated topology is made of."""

    network_id: str
    router_id: str | None
    subnet_ids: tuple[str, ...] = ()
    made_now: bool = False


async def find(s: AsyncSession, project_id: str) -> Topology | None:
    row = await s.get(AutoAllocatedTopology, project_id)
    if row is None:
        return None
    subnet_ids = await s.scalars(select(Subnet.id).where(Subnet.network_id == row.network_id))
    return Topology(row.network_id, row.router_id, tuple(subnet_ids))


async def default_external_network(s: AsyncSession) -> str:
    found = await s.scalar(
        select(Network.id)
        .where(Network.router_external.is_(True), Network.is_default.is_(True))
        .order_by(Network.created_at, Network.id)
        .limit(1)
    )
    if found is None:
        raise AutoAllocationFailure(reason="No default router:external network")
    return str(found)


async def default_pools(s: AsyncSession, project_id: str) -> list[tuple[int, str]]:
    """The default subnet pool of each IP version that the project can use."""
    scope = Scope(project_id)
    found = [(v, await subnetpools.default_for(s, scope, v)) for v in IP_VERSIONS]
    pools = [(version, pool_id) for version, pool_id in found if pool_id is not None]
    if not pools:
        raise AutoAllocationFailure(reason="No default subnetpools defined")
    return pools


async def check_requirements(s: AsyncSession, project_id: str) -> None:
    """What a dry run checks: a default external network and a default subnet pool."""
    await default_external_network(s)
    await default_pools(s, project_id)


async def ensure(s: AsyncSession, conf: Config, types: TypeManager, project_id: str) -> Topology:
    """The project's topology, made now if it has none."""
    await quotas.lock_project(s, project_id)
    existing = await find(s, project_id)
    if existing is not None:
        return existing
    external = await default_external_network(s)
    pools = await default_pools(s, project_id)
    # Over quota, the project's limits answer for themselves (409 OverQuota).
    return await _build(s, conf, types, Scope(project_id), external=external, pools=pools)


async def _build(
    s: AsyncSession,
    conf: Config,
    types: TypeManager,
    scope: Scope,
    *,
    external: str,
    pools: list[tuple[int, str]],
) -> Topology:
    project = scope.project_id
    network = {"project_id": project, "name": NETWORK_NAME}
    net_id = await network_writes.create(s, conf, types, network, types.requested(network))
    subnet_ids = []
    for version, pool_id in pools:
        subnet = {
            "project_id": project,
            "name": f"auto_allocated_subnet_v{version}",
            "ip_version": version,
            "subnetpool_id": pool_id,
        }
        subnet_ids.append(await subnet_writes.create(s, conf, scope, subnet, net_id))
    router = {
        "project_id": project,
        "name": ROUTER_NAME,
        "external_gateway_info": {"network_id": external},
    }
    router_id = await router_writes.create(s, conf, scope, router)
    for subnet_id in subnet_ids:
        await router_interfaces.add(s, conf, scope, router_id, {"subnet_id": subnet_id})
    s.add(AutoAllocatedTopology(project_id=project, network_id=net_id, router_id=router_id))
    await s.flush()
    return Topology(net_id, router_id, tuple(subnet_ids), made_now=True)


async def remove(s: AsyncSession, types: TypeManager, project_id: str) -> Topology | None:
    """Take the project's topology apart (its router, then its network); what it was."""
    await quotas.lock_project(s, project_id)
    topology = await find(s, project_id)
    if topology is None:
        return None
    scope = Scope(project_id)
    row = await s.get(AutoAllocatedTopology, project_id)
    await s.delete(row)
    await s.flush()
    if topology.router_id is not None:
        for subnet_id in topology.subnet_ids:
            # The project may have taken an interface off already.
            with contextlib.suppress(RouterInterfaceNotFoundForSubnet):
                info = {"subnet_id": subnet_id}
                await router_interfaces.remove(s, scope, topology.router_id, info)
        await router_writes.delete_router(s, scope, topology.router_id, None)
    await network_writes.delete(s, scope, types, topology.network_id, None)
    return topology
