"""Host states: a placement candidate joined with its compute node, service and aggregates."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Aggregate, Instance, ServerGroup
from nimbostack.compute.objects import hosts, services
from nimbostack.compute.scheduler.request_spec import RequestSpec


@dataclass
class HostState:
    """One candidate host as the filters and weighers see it."""

    host: str
    nodename: str
    uuid: str
    allocation_request: dict[str, Any]
    free: dict[str, float]
    service_up: bool
    service_disabled: bool
    availability_zone: str
    aggregate_metadata: list[dict[str, Any]]
    hypervisor_type: str
    cpu_info: dict[str, Any]
    weight: float = 0.0

    def entry(self) -> dict[str, Any]:
        """The SelectDestinations answer for this host."""
        return {
            "host": self.host,
            "nodename": self.nodename,
            "compute_node_uuid": self.uuid,
            "allocation_request": self.allocation_request,
        }


@dataclass
class RequestFacts:
    """What the filters need beyond the host: hint targets and the server group."""

    spec: RequestSpec
    same_hosts: set[str] = field(default_factory=set)
    different_hosts: set[str] = field(default_factory=set)
    group_policy: str | None = None
    group_rules: dict[str, Any] = field(default_factory=dict)
    group_hosts: Counter[str] = field(default_factory=Counter)


def _free(summary: dict[str, Any]) -> dict[str, float]:
    free: dict[str, float] = {}
    for rc, usage in (summary.get("resources") or {}).items():
        free[rc] = float(usage.get("capacity", 0)) - float(usage.get("used", 0))
    return free


async def _aggregates_by_host(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for agg in await session.scalars(select(Aggregate)):
        for host in agg.hosts or []:
            found.setdefault(host, []).append(dict(agg.metadata_ or {}))
    return found


async def load(
    session: AsyncSession,
    candidates: dict[str, Any],
    *,
    default_az: str,
    down_after: float,
) -> list[HostState]:
    """Host states for placement's answer (providers without a compute node are skipped)."""
    requests = candidates.get("allocation_requests") or []
    summaries = candidates.get("provider_summaries") or {}
    by_root: dict[str, dict[str, Any]] = {}
    for req in requests:
        rps = list((req.get("allocations") or {}).keys())
        if len(rps) == 1 and rps[0] not in by_root:
            by_root[rps[0]] = req
    now = time.time()
    nodes = await hosts.facts_by_uuid(session, list(by_root))
    health = await services.health_by_host(session, down_after, now)
    aggs = await _aggregates_by_host(session)
    states = []
    for uuid, req in by_root.items():
        node = nodes.get(uuid)
        if node is None:
            continue
        up, disabled = health.get(node.host, (False, True))
        metadata = aggs.get(node.host, [])
        azs = [m["availability_zone"] for m in metadata if m.get("availability_zone")]
        states.append(
            HostState(
                host=node.host,
                nodename=node.hypervisor_hostname,
                uuid=uuid,
                allocation_request={"allocations": req["allocations"]},
                free=_free(summaries.get(uuid, {})),
                service_up=up,
                service_disabled=disabled,
                availability_zone=azs[0] if azs else default_az,
                aggregate_metadata=metadata,
                hypervisor_type=node.hypervisor_type,
                cpu_info=node.cpu_info,
            )
        )
    return states


async def _hosts_of(session: AsyncSession, uuids: list[str]) -> list[str]:
    if not uuids:
        return []
    rows = await session.scalars(
        select(Instance.host).where(Instance.uuid.in_(uuids), Instance.deleted.is_(False))
    )
    return [h for h in rows if h]


async def request_facts(
    session: AsyncSession, spec: RequestSpec, placing: list[str], recent: dict[str, str]
) -> RequestFacts:
    """Hint targets and group members' hosts; ``recent`` adds this scheduler's fresh picks."""
    facts = RequestFacts(spec=spec)
    facts.same_hosts = set(await _hosts_of(session, spec.hint_list("same_host")))
    facts.different_hosts = set(await _hosts_of(session, spec.hint_list("different_host")))
    group_uuid = spec.group
    if group_uuid:
        group = await session.get(ServerGroup, group_uuid)
        if group is not None:
            facts.group_policy = group.policy
            facts.group_rules = dict(group.rules or {})
            others = [m for m in group.members or [] if m not in placing]
            rows = await session.execute(
                select(Instance.uuid, Instance.host).where(
                    Instance.uuid.in_(others), Instance.deleted.is_(False)
                )
            )
            placed = {uuid: host for uuid, host in rows if host}
            for uuid in others:
                host = placed.get(uuid) or recent.get(uuid)
                if host:
                    facts.group_hosts[host] += 1
    return facts
