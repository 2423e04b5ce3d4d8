"""Simple instance actions on this host: power, pause, suspend, rebuild, rescue, delete.

Each action runs under the instance's lock, calls the driver, then writes the final
vm_state and the driver's power state through the conductor, refusing if the task
state is no longer the one the API set (a lost race). A failing driver call leaves the
instance in its previous vm_state with the task cleared and a fault recorded, as Nova.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.agent import guest, vifs, volumes
from nimbostack.compute.agent.drivers.base import GuestNotFound
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import (
    InstanceNotFound,
    InstanceTask,
    PauseInstance,
    RebootInstance,
    RebuildInstance,
    RescueInstance,
    ResumeInstance,
    StartInstance,
    StopInstance,
    SuspendInstance,
    UnpauseInstance,
    UnrescueInstance,
    UnshelveOnHost,
)
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
Run = Callable[[AgentHost, RequestContext, InstanceRecord], Awaitable[None]]


async def _stop(a: AgentHost, _c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.power_off(i.uuid)


async def _start(a: AgentHost, c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.power_on(await guest.guest_spec(a, c, i))


async def _reboot_soft(a: AgentHost, c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.reboot(await guest.guest_spec(a, c, i), hard=False)


async def _reboot_hard(a: AgentHost, c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.reboot(await guest.guest_spec(a, c, i), hard=True)


async def _pause(a: AgentHost, _c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.pause(i.uuid)


async def _unpause(a: AgentHost, _c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.unpause(i.uuid)


async def _suspend(a: AgentHost, _c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.suspend(i.uuid)


async def _resume(a: AgentHost, c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.resume(await guest.guest_spec(a, c, i))


async def _unrescue(a: AgentHost, c: RequestContext, i: InstanceRecord) -> None:
    await a.driver.unrescue(await guest.guest_spec(a, c, i))


@dataclass(frozen=True)
class Simple:
    """An action: the task states it runs from, its event, its end vm_state, its work."""

    tasks: tuple[str | None, ...]
    event: str
    vm_state: str
    run: Run


SIMPLE: dict[type[InstanceTask], Simple] = {
    StopInstance: Simple((states.POWERING_OFF,), "compute_stop_instance", states.STOPPED, _stop),
    StartInstance: Simple((states.POWERING_ON,), "compute_start_instance", states.ACTIVE, _start),
    UnshelveOnHost: Simple(
        (states.UNSHELVING,), "compute_unshelve_instance", states.ACTIVE, _start
    ),
    PauseInstance: Simple((states.PAUSING,), "compute_pause_instance", states.PAUSED, _pause),
    UnpauseInstance: Simple(
        (states.UNPAUSING,), "compute_unpause_instance", states.ACTIVE, _unpause
    ),
    SuspendInstance: Simple(
        (states.SUSPENDING,), "compute_suspend_instance", states.SUSPENDED, _suspend
    ),
    ResumeInstance: Simple((states.RESUMING,), "compute_resume_instance", states.ACTIVE, _resume),
    UnrescueInstance: Simple(
        (states.UNRESCUING,), "compute_unrescue_instance", states.ACTIVE, _unrescue
    ),
}
SOFT_REBOOT = Simple(
    (states.REBOOTING, states.REBOOT_PENDING, states.REBOOT_STARTED),
    "compute_reboot_instance",
    states.ACTIVE,
    _reboot_soft,
)
HARD_REBOOT = Simple(
    (states.REBOOTING_HARD, states.REBOOT_PENDING_HARD, states.REBOOT_STARTED_HARD),
    "compute_reboot_instance",
    states.ACTIVE,
    _reboot_hard,
)


def simple_action(msg: InstanceTask) -> Simple:
    """The work a simple task message asks for (KeyError if it is not a simple one)."""
    if isinstance(msg, RebootInstance):
        return HARD_REBOOT if msg.hard else SOFT_REBOOT
    return SIMPLE[type(msg)]


async def run_simple(
    agent: AgentHost, ctxt: RequestContext, uuid: str, action: Simple, request_id: str
) -> None:
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        expected = list(action.tasks)
        if instance.task_state not in expected:
            LOG.info("skipping %s of %s: task_state is %s", action.event, uuid, instance.task_state)
            return
        try:
            async with agent.conductor.event(ctxt, uuid, request_id, action.event):
                await action.run(agent, ctxt, instance)
        except Exception as exc:
            await _failed(agent, ctxt, instance, exc, expected)
            return
        power = await _power(agent, uuid)
        values: dict[str, Any] = {
            "vm_state": action.vm_state,
            "task_state": None,
            "power_state": power,
        }
        if action.vm_state == states.ACTIVE and instance.vm_state == states.SHELVED:
            values["system_metadata"] = _without_shelve(instance)
        await agent.conductor.update(ctxt, uuid, values, expected)


def _without_shelve(instance: InstanceRecord) -> dict[str, Any]:
    """The system_metadata changes that drop what shelve recorded."""
    meta = instance.system_metadata or {}
    return {k: None for k in meta if k.startswith("shelved_")}


async def _power(agent: AgentHost, uuid: str) -> int:
    try:
        return await agent.driver.power_state(uuid)
    except GuestNotFound:
        return states.NOSTATE


async def _failed(
    agent: AgentHost,
    ctxt: RequestContext,
    instance: InstanceRecord,
    exc: Exception,
    expected: list[str | None],
) -> None:
    LOG.warning("action on %s failed: %s", instance.uuid, exc)
    await agent.conductor.fault(ctxt, instance.uuid, exc)
    values = {"task_state": None, "power_state": await _power(agent, instance.uuid)}
    await agent.conductor.update(ctxt, instance.uuid, values, expected)


async def terminate(agent: AgentHost, ctxt: RequestContext, uuid: str, request_id: str) -> None:
    """Destroy the guest (present or not), release its volumes, tell the conductor."""
    async with agent.locks.hold(uuid):
        try:
            async with agent.conductor.event(ctxt, uuid, request_id, "compute_terminate_instance"):
                with contextlib.suppress(GuestNotFound):
                    await agent.driver.destroy(uuid)
                record = await agent.conductor.get(ctxt, uuid)
                await vifs.release_requested(agent, record)
                # The guest let go of its volumes with its process: free them.
                await volumes.release_all(agent, ctxt, record)
        except InstanceNotFound:
            pass
        await agent.conductor.terminated(ctxt, uuid)


async def rebuild(agent: AgentHost, ctxt: RequestContext, msg: RebuildInstance) -> None:
    uuid = msg.instance_uuid
    expected: list[str | None] = [states.REBUILDING, states.REBUILD_SPAWNING]
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        stopped = instance.vm_state == states.STOPPED
        try:
            async with agent.conductor.event(
                ctxt, uuid, msg.request_id, "compute_rebuild_instance"
            ):
                spec = await guest.guest_spec(
                    agent, ctxt, instance, image_ref=msg.image_ref, admin_pass=msg.admin_pass
                )
                await agent.driver.rebuild(spec)
                if stopped:  # a stopped server stays stopped after a rebuild (Nova's rule)
                    await agent.driver.power_off(uuid, clean_shutdown_seconds=0)
        except Exception as exc:
            await agent.conductor.fault(ctxt, uuid, exc)
            await agent.conductor.update(
                ctxt, uuid, {"vm_state": states.ERROR, "task_state": None}, expected
            )
            return
        values = {
            "vm_state": states.STOPPED if stopped else states.ACTIVE,
            "task_state": None,
            "image_ref": msg.image_ref,
            "power_state": await _power(agent, uuid),
        }
        await agent.conductor.update(ctxt, uuid, values, expected)


async def rescue(agent: AgentHost, ctxt: RequestContext, msg: RescueInstance) -> None:
    uuid = msg.instance_uuid
    expected: list[str | None] = [states.RESCUING]
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_rescue_instance"):
                spec = await guest.guest_spec(
                    agent, ctxt, instance, rescue_image_ref=msg.rescue_image_ref
                )
                await agent.driver.rescue(spec)
        except Exception as exc:
            await _failed(agent, ctxt, instance, exc, expected)
            return
        values = {
            "vm_state": states.RESCUED,
            "task_state": None,
            "power_state": await _power(agent, uuid),
        }
        await agent.conductor.update(ctxt, uuid, values, expected)
