"""Start-up reconciliation: finish or undo what a previous run of this agent left half done.

- a build (vm_state building) goes back to the conductor as failed: reschedule or ERROR;
- a delete in progress is finished;
- any other task is cleared, with the vm_state following the guest's real power state;
- a guest whose instance is deleted, or now lives on another host (evacuated), is removed.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.agent import actions
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.messages import InstanceNotFound, UnexpectedTaskState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
_BY_POWER = {
    states.RUNNING: states.ACTIVE,
    states.PAUSED_POWER: states.PAUSED,
    states.SUSPENDED_POWER: states.SUSPENDED,
}
_FOLLOWS_POWER = (states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED)


async def _power(agent: AgentHost, uuid: str) -> int:
    try:
        return await agent.driver.power_state(uuid)
    except GuestNotFound:
        return states.NOSTATE


async def _one(agent: AgentHost, ctxt: RequestContext, uuid: str, record: dict[str, Any]) -> None:
    task, vm_state = record["task_state"], record["vm_state"]
    if vm_state == states.BUILDING:
        with contextlib.suppress(GuestNotFound):
            await agent.driver.destroy(uuid)
        await agent.conductor.build_failed(
            ctxt, uuid, "The compute agent restarted during the build.", {}
        )
        return
    if task == states.DELETING:
        await actions.terminate(agent, ctxt, uuid, ctxt.request_id)
        return
    if task is None:
        return
    power = await _power(agent, uuid)
    values: dict[str, Any] = {"task_state": None, "power_state": power}
    if vm_state in _FOLLOWS_POWER:
        values["vm_state"] = _BY_POWER.get(power, states.STOPPED)
    await agent.conductor.update(ctxt, uuid, values, [task])


async def _orphans(agent: AgentHost, ctxt: RequestContext, known: set[str]) -> None:
    for uuid in await agent.driver.list_guests():
        if uuid in known:
            continue
        try:
            instance = await agent.conductor.get(ctxt, uuid, read_deleted=True)
        except InstanceNotFound:
            instance = None
        gone = instance is None or instance.deleted
        moved = instance is not None and instance.host not in (None, agent.host)
        if gone or (moved and instance is not None and instance.vm_state != states.RESIZED):
            LOG.info("removing guest %s left on %s", uuid, agent.host)
            await agent.driver.destroy(uuid)


async def recover(agent: AgentHost) -> None:
    ctxt = RequestContext.admin()
    records = await agent.conductor.host_instances(ctxt)
    for uuid, record in records.items():
        try:
            await _one(agent, ctxt, uuid, record)
        except (InstanceNotFound, UnexpectedTaskState):
            continue
        except Exception:
            LOG.exception("could not reconcile instance %s", uuid)
    await _orphans(agent, ctxt, set(records))
