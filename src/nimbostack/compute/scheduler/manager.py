"""The scheduler's RPC endpoint: SelectDestinations, in four steps.

1. candidates from placement (resources from the flavor, traits from extra specs and
   image, ``limit`` from max_placement_candidates);
2. filters (scheduler/filters.py);
3. weighers (scheduler/weights.py), with near-equal hosts shuffled so that concurrent
   requests spread instead of all racing for the same best host;
4. a claim in placement per instance, trying the next host on a conflict.

Each instance gets its host plus up to ``max_attempts - 1`` unclaimed alternates, whose
allocation requests the conductor claims if it has to reschedule.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from typing import Any

from nimbostack.compute.messages import NoValidHost, SelectDestinations
from nimbostack.compute.scheduler import claim, filters, hosts, weights
from nimbostack.compute.scheduler.request_spec import (
    RequestSpec,
    placement_resources,
    required_traits,
)
from nimbostack.compute.service_state import ComputeState
from nimbostack.core import tracing
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import handles

LOG = logging.getLogger(__name__)
NOT_ENOUGH = "No valid host was found. There are not enough hosts available."
_NEAR = 0.05  # weights closer than this to the best count as equally good
_RECENT = 10000


class SchedulerManager:
    """Answers SelectDestinations on ``compute.scheduler``."""

    def __init__(self, state: ComputeState) -> None:
        self.state = state
        self._group_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Fresh picks for group members whose host the conductor has not written yet.
        self._recent: dict[str, str] = {}

    @handles(SelectDestinations)
    async def select_destinations(
        self, ctxt: RequestContext, msg: SelectDestinations
    ) -> list[list[dict[str, Any]]]:
        spec = RequestSpec.from_dict(msg.request_spec)
        with tracing.span("scheduler.select_destinations", service="compute-scheduler") as sp:
            if msg.instance_uuids:
                sp.attributes["instance_uuid"] = msg.instance_uuids[0]
            group = spec.group
            if group is None:
                return await self._select(spec, msg)
            async with self._group_locks[group]:
                return await self._select(spec, msg)

    async def _candidates(self, spec: RequestSpec) -> list[hosts.HostState]:
        conf = self.state.conf
        resources = placement_resources(spec.flavor, root_on_volume=spec.root_on_volume)
        params: dict[str, Any] = {
            "resources": ",".join(f"{rc}:{n}" for rc, n in sorted(resources.items())),
            "limit": int(conf.compute.max_placement_candidates),
        }
        traits = required_traits(spec.flavor, spec.image)
        if traits:
            params["required"] = ",".join(traits)
        found = await self.state.placement.allocation_candidates(params)
        async with self.state.db.reader() as session:
            return await hosts.load(
                session,
                found,
                default_az=str(conf.compute.default_availability_zone),
                down_after=float(conf.compute.service_down_time),
            )

    def _order(self, candidates: list[hosts.HostState], facts: hosts.RequestFacts) -> list[Any]:
        conf = self.state.conf.compute
        ranked = weights.weigh(
            filters.passing(candidates, facts),
            facts,
            ram=float(conf.ram_weight_multiplier),
            cpu=float(conf.cpu_weight_multiplier),
            disk=float(conf.disk_weight_multiplier),
        )
        if not ranked:
            return ranked
        best = ranked[0].weight
        top = [h for h in ranked if best - h.weight <= _NEAR]
        random.shuffle(top)
        return top + ranked[len(top) :]

    async def _select(
        self, spec: RequestSpec, msg: SelectDestinations
    ) -> list[list[dict[str, Any]]]:
        candidates = await self._candidates(spec)
        async with self.state.db.reader() as session:
            facts = await hosts.request_facts(session, spec, msg.instance_uuids, self._recent)
        resources = placement_resources(spec.flavor, root_on_volume=spec.root_on_volume)
        alternates = int(self.state.conf.compute.max_attempts) - 1
        chosen: list[list[dict[str, Any]]] = []
        claimed: list[str] = []
        try:
            for instance_uuid in msg.instance_uuids:
                picked = await self._place_one(instance_uuid, spec, candidates, facts, resources)
                claimed.append(instance_uuid)
                facts.group_hosts[picked[0].host] += 1
                self._remember(instance_uuid, picked[0].host)
                extra = picked[1 : 1 + alternates] if msg.return_alternates else []
                chosen.append([h.entry() for h in [picked[0], *extra]])
        except NoValidHost:
            for uuid in claimed:
                await self.state.placement.delete_allocations(uuid)
            raise
        return chosen

    async def _place_one(
        self,
        instance_uuid: str,
        spec: RequestSpec,
        candidates: list[hosts.HostState],
        facts: hosts.RequestFacts,
        resources: dict[str, int],
    ) -> list[hosts.HostState]:
        ordered = self._order(candidates, facts)
        for index, host in enumerate(ordered):
            ok = await claim.claim(
                self.state.placement,
                instance_uuid,
                host,
                project_id=spec.project_id,
                user_id=spec.user_id,
            )
            if ok:
                claim.consume(host, resources)
                return [host, *ordered[index + 1 :]]
        LOG.info("no valid host for %s (%d candidates)", instance_uuid, len(candidates))
        raise NoValidHost(NOT_ENOUGH)

    def _remember(self, instance_uuid: str, host: str) -> None:
        self._recent[instance_uuid] = host
        if len(self._recent) > _RECENT:
            self._recent.pop(next(iter(self._recent)))
