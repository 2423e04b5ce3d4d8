"""ReportHost: heartbeats, compute-node rows, each node's provider and inventory in placement."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from sqlalchemy.exc import IntegrityError

from nimbostack.compute.messages import AGENT, ReportHost
from nimbostack.compute.objects import hosts, services
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.rpc import host_topic

LOG = logging.getLogger(__name__)

# Placement traits must be standard or CUSTOM_; anything else the driver says is dropped.
_TRAIT_PREFIXES = ("COMPUTE_", "HW_", "CUSTOM_", "STORAGE_", "MISC_")


def inventory_for(resources: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Placement inventory of one node from what its driver reports and the agent's options."""
    vcpus, memory, disk = (int(resources[k]) for k in ("vcpus", "memory_mb", "local_gb"))
    reserved_disk = math.ceil(int(options.get("reserved_host_disk_mb", 0)) / 1024)
    return {
        "VCPU": {
            "total": vcpus,
            "reserved": 0,
            "max_unit": vcpus,
            "allocation_ratio": float(options.get("cpu_allocation_ratio", 16.0)),
        },
        "MEMORY_MB": {
            "total": memory,
            "reserved": min(int(options.get("reserved_host_memory_mb", 512)), memory - 1),
            "max_unit": memory,
            "allocation_ratio": float(options.get("ram_allocation_ratio", 1.5)),
        },
        "DISK_GB": {
            "total": disk,
            "reserved": min(reserved_disk, disk - 1),
            "max_unit": disk,
            "allocation_ratio": float(options.get("disk_allocation_ratio", 1.0)),
        },
    }


class HostReports:
    """Handles ReportHost; remembers what it pushed to placement to skip repeats."""

    def __init__(self, state: ComputeState) -> None:
        self.state = state
        self._pushed: dict[str, Any] = {}
        self._new_rows = asyncio.Lock()

    async def report(self, msg: ReportHost) -> dict[str, Any]:
        for attempt in range(5):
            try:
                node_uuid, service_id = await self._record(msg)
                break
            except IntegrityError:
                # Two hosts registering at once picked the same next id: try again.
                if attempt == 4:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        await self._sync_placement(node_uuid, msg)
        return {"compute_node_uuid": node_uuid, "service_id": service_id}

    async def _record(self, msg: ReportHost) -> tuple[str, int]:
        async with self._new_rows, self.state.db.session() as session:
            svc = await services.heartbeat(
                session, msg.host, services.COMPUTE, host_topic(AGENT, msg.host)
            )
            node = await hosts.upsert(session, msg.host, msg.resources)
            hosts.record_usage(node, await hosts.usage_of(session, node.hypervisor_hostname))
            return node.uuid, svc.id

    async def _sync_placement(self, node_uuid: str, msg: ReportHost) -> None:
        inventory = inventory_for(msg.resources, msg.inventory or {})
        traits = sorted(
            t for t in msg.resources.get("traits") or [] if t.startswith(_TRAIT_PREFIXES)
        )
        signature = (inventory, traits)
        if self._pushed.get(node_uuid) == signature:
            return
        placement = self.state.placement
        await placement.ensure_provider(node_uuid, str(msg.resources["hypervisor_hostname"]))
        await placement.set_inventories(node_uuid, inventory)
        if traits:
            await placement.set_traits(node_uuid, traits)
        self._pushed[node_uuid] = signature
        LOG.info("resource provider %s of %s is up to date", node_uuid, msg.host)
