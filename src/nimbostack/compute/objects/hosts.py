"""Compute nodes: each hypervisor the agents report, keyed by its placement provider uuid."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import ComputeNode, Instance
from nimbostack.compute.objects import instances


@dataclass(frozen=True)
class Usage:
    vcpus: int = 0
    memory_mb: int = 0
    local_gb: int = 0
    running_vms: int = 0


async def upsert(session: AsyncSession, host: str, resources: dict[str, Any]) -> ComputeNode:
    """The node of ``resources["hypervisor_hostname"]``, created or refreshed."""
    name = str(resources["hypervisor_hostname"])
    node = await session.scalar(select(ComputeNode).where(ComputeNode.hypervisor_hostname == name))
    if node is None:
        next_id = (await session.scalar(select(func.max(ComputeNode.id)))) or 0
        node = ComputeNode(uuid=str(uuid.uuid4()), id=next_id + 1, hypervisor_hostname=name)
        session.add(node)
    node.host = host
    node.hypervisor_type = str(resources.get("hypervisor_type", "fake"))
    node.hypervisor_version = int(resources.get("hypervisor_version", 1))
    node.host_ip = str(resources.get("host_ip", "127.0.0.1"))
    node.vcpus = int(resources["vcpus"])
    node.memory_mb = int(resources["memory_mb"])
    node.local_gb = int(resources["local_gb"])
    node.cpu_info = dict(resources.get("cpu_info") or {})
    node.updated_at = time.time()
    await session.flush()
    return node


async def usage_of(session: AsyncSession, node: str) -> Usage:
    """What the instances placed on ``node`` use, from their flavors."""
    totals = await instances.flavor_totals(session, Instance.node == node)
    return Usage(
        vcpus=totals["vcpus"],
        memory_mb=totals["memory_mb"],
        local_gb=totals["root_gb"] + totals["ephemeral_gb"],
        running_vms=totals["count"],
    )


def record_usage(node: ComputeNode, usage: Usage) -> None:
    node.vcpus_used = usage.vcpus
    node.memory_mb_used = usage.memory_mb
    node.local_gb_used = usage.local_gb
    node.running_vms = usage.running_vms


@dataclass(frozen=True)
class NodeFacts:
    """What the scheduler needs of a node: its names and what it runs on."""

    host: str
    hypervisor_hostname: str
    hypervisor_type: str
    cpu_info: dict[str, Any]


async def facts_by_uuid(session: AsyncSession, uuids: list[str]) -> dict[str, NodeFacts]:
    n = ComputeNode
    rows = await session.execute(
        select(n.uuid, n.host, n.hypervisor_hostname, n.hypervisor_type, n.cpu_info).where(
            n.uuid.in_(uuids)
        )
    )
    return {
        uuid: NodeFacts(host, name, kind, dict(cpu or {}))
        for uuid, host, name, kind, cpu in rows.all()
    }


async def by_host(session: AsyncSession, host: str) -> list[ComputeNode]:
    return list(await session.scalars(select(ComputeNode).where(ComputeNode.host == host)))
