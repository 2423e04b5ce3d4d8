"""Power-state sync: make the records follow what the hypervisor really shows.

Only idle instances (no task) are touched, with the task state guarded so a racing
action wins. A guest found off (or gone) while the record says active becomes
stopped (SHUTOFF), as Nova does when a guest dies under it.
"""

from __future__ import annotations

import logging

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.messages import InstanceNotFound, UnexpectedTaskState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
_OFF = (states.SHUTDOWN, states.NOSTATE, states.CRASHED)


async def sync(agent: AgentHost) -> int:
    """One pass over this host's instances; returns how many records changed."""
    ctxt = RequestContext.admin()
    changed = 0
    for uuid, record in (await agent.conductor.host_instances(ctxt)).items():
        if record["task_state"] is not None or record["vm_state"] == states.BUILDING:
            continue
        try:
            power = await agent.driver.power_state(uuid)
        except GuestNotFound:
            power = states.NOSTATE
        values: dict[str, object] = {}
        if power != record["power_state"]:
            values["power_state"] = power
        if record["vm_state"] == states.ACTIVE and power in _OFF:
            values["vm_state"] = states.STOPPED
        if not values:
            continue
        try:
            await agent.conductor.update(ctxt, uuid, values, [None])
            changed += 1
            LOG.info("power sync of %s on %s: %s", uuid, agent.host, values)
        except (UnexpectedTaskState, InstanceNotFound):
            continue
    return changed


async def prune_images(agent: AgentHost) -> list[str]:
    """Drop cached base images no guest of this host uses any more."""
    if not agent.driver.needs_image_files:
        return []
    ctxt = RequestContext.admin()
    in_use: set[str] = set()
    for uuid in await agent.conductor.host_instances(ctxt):
        try:
            instance = await agent.conductor.get(ctxt, uuid)
        except InstanceNotFound:
            continue
        in_use.add(str(instance.image_ref or ""))
        meta = instance.system_metadata or {}
        in_use.update(str(meta[k]) for k in ("kernel_id", "ramdisk_id") if meta.get(k))
    return agent.images.prune(in_use)
