"""Building a guest on this host: BuildAndRunInstance, and SpawnOnHost (unshelve, evacuate).

A failed build cleans up the guest and hands the decision back to the conductor
(BuildFailed: reschedule or ERROR; a refused image is never rescheduled). An instance
deleted meanwhile is left to the delete.
"""

from __future__ import annotations

import contextlib
import logging
import time

from nimbostack.compute import states
from nimbostack.compute.agent import boot_volumes, guest, port_moves, vifs
from nimbostack.compute.agent.drivers.base import ImageRefused
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.agent.vif_events import VifPlugTimeout, VifWaiter
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import (
    BuildAndRunInstance,
    InstanceNotFound,
    SpawnOnHost,
    UnexpectedTaskState,
)
from nimbostack.core import tracing
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
SERVICE = "compute-agent"
BUILD_EVENT = "compute_build_and_run_instance"


async def build_and_run(agent: AgentHost, ctxt: RequestContext, msg: BuildAndRunInstance) -> None:
    uuid = msg.instance_uuid
    with tracing.span(
        "agent.build_and_run_instance", service=SERVICE, instance_uuid=uuid, host=agent.host
    ):
        async with agent.locks.hold(uuid):
            try:
                instance = await agent.conductor.update(
                    ctxt, uuid, {"task_state": states.SPAWNING}, [states.SCHEDULING]
                )
            except (InstanceNotFound, UnexpectedTaskState) as exc:
                LOG.info("not building %s: %s", uuid, exc)
                return
            made = boot_volumes.BuildVolumes()
            try:
                async with agent.conductor.event(ctxt, uuid, msg.request_id, BUILD_EVENT):
                    await _spawn(agent, ctxt, instance, msg.admin_pass, made)
            except (InstanceNotFound, UnexpectedTaskState):
                LOG.info("instance %s was deleted during its build", uuid)
                await _cleanup(agent, uuid, vifs.user_ports(msg.request_spec))
                await boot_volumes.undo(agent, ctxt, uuid, made)
            except Exception as exc:
                LOG.warning("build of %s failed on %s: %s", uuid, agent.host, exc)
                await _cleanup(agent, uuid, vifs.user_ports(msg.request_spec))
                await boot_volumes.undo(agent, ctxt, uuid, made)
                await _forget_ports(agent, ctxt, uuid)
                # A refused image is refused by every host: no point in rescheduling.
                await agent.conductor.build_failed(
                    ctxt,
                    uuid,
                    str(exc),
                    msg.request_spec,
                    msg.admin_pass,
                    reschedule=not isinstance(exc, ImageRefused),
                )


async def _spawn(
    agent: AgentHost,
    ctxt: RequestContext,
    instance: InstanceRecord,
    admin_pass: str | None,
    made: boot_volumes.BuildVolumes,
) -> None:
    # Expect the ports' events before making them: the first may come at once.
    waiter = agent.vif_events.expect(instance.uuid)
    try:
        instance = await _ports(agent, ctxt, instance)
        instance = await boot_volumes.prepare(agent, ctxt, instance, made)
        spec = await guest.guest_spec(agent, ctxt, instance, admin_pass=admin_pass)
        with tracing.span("driver.spawn", service=SERVICE, instance_uuid=instance.uuid):
            await agent.driver.spawn(spec)
        await _plugged(agent, waiter, instance)
    finally:
        agent.vif_events.forget(instance.uuid)
    # Its own span, so `nimbostack trace` shows when the instance became ACTIVE.
    with tracing.span("instance ACTIVE", service=SERVICE, instance_uuid=instance.uuid):
        await agent.conductor.update(
            ctxt,
            instance.uuid,
            {
                "vm_state": states.ACTIVE,
                "task_state": None,
                "power_state": await agent.driver.power_state(instance.uuid),
                "launched_at": time.time(),
            },
            [states.SPAWNING],
        )


async def _ports(
    agent: AgentHost, ctxt: RequestContext, instance: InstanceRecord
) -> InstanceRecord:
    """Make and bind the instance's ports here, and record them as its network info."""
    with tracing.span("allocate ports", service=SERVICE, instance_uuid=instance.uuid):
        made = await vifs.allocate(agent, instance, vifs.requested(instance.request_spec or {}))
    if not made:
        return instance
    values = {"network_info": [vif.to_json() for vif in made]}
    return await agent.conductor.update(ctxt, instance.uuid, values, [states.SPAWNING])


async def _plugged(agent: AgentHost, waiter: VifWaiter, instance: InstanceRecord) -> None:
    """Wait until the networking service reports every port wired (Nova's vif plugging)."""
    timeout = float(agent.conf.compute.vif_plugging_timeout)
    if not instance.network_info or timeout <= 0:
        return
    with tracing.span("wait network-vif-plugged", service=SERVICE, instance_uuid=instance.uuid):
        try:
            await waiter.wait([vif.id for vif in instance.network_info], timeout)
        except VifPlugTimeout:
            if agent.conf.compute.vif_plugging_is_fatal:
                raise
            LOG.warning("%s: going on without network-vif-plugged", instance.uuid)


async def _forget_ports(agent: AgentHost, ctxt: RequestContext, uuid: str) -> None:
    """A failed build's instance shows no ports: they were released, or go elsewhere."""
    with contextlib.suppress(InstanceNotFound, UnexpectedTaskState):
        await agent.conductor.update(ctxt, uuid, {"network_info": []}, [states.SPAWNING])


async def _cleanup(agent: AgentHost, uuid: str, preserved: set[str] | None = None) -> None:
    """Remove what a failed build left here: the guest and the instance's ports."""
    try:
        await agent.driver.destroy(uuid)
    except Exception:
        LOG.debug("nothing to clean up for %s", uuid, exc_info=True)
    await vifs.release(agent, uuid, preserved or set())


async def spawn_on_host(agent: AgentHost, ctxt: RequestContext, msg: SpawnOnHost) -> None:
    """Boot an existing instance here again: from its shelve snapshot or after evacuation."""
    uuid = msg.instance_uuid
    expected: list[str | None] = [states.UNSHELVING, states.REBUILDING]
    event = "compute_unshelve_instance" if msg.reason == "unshelve" else "compute_rebuild_instance"
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        try:
            async with (
                agent.conductor.event(ctxt, uuid, msg.request_id, event),
                port_moves.arriving(agent, ctxt, instance) as arrival,
            ):
                instance = arrival.instance
                spec = await guest.guest_spec(
                    agent, ctxt, instance, image_ref=msg.image_ref, admin_pass=msg.admin_pass
                )
                await agent.driver.spawn(spec)
                await port_moves.plugged(agent, arrival)
                # What shelve recorded goes (None removes a key).
                meta = {k: None for k in instance.system_metadata or {} if k.startswith("shelved_")}
                await agent.conductor.update(
                    ctxt,
                    uuid,
                    {
                        "vm_state": states.ACTIVE,
                        "task_state": None,
                        "power_state": await agent.driver.power_state(uuid),
                        "system_metadata": meta,
                    },
                    expected,
                )
        except Exception as exc:
            # Only the guest goes: the ports stay the instance's, to follow it elsewhere.
            with contextlib.suppress(Exception):
                await agent.driver.destroy(uuid)
            await agent.conductor.fault(ctxt, uuid, exc)
            await _after_failed_spawn(agent, ctxt, msg, expected)
            return
        shelved = (instance.system_metadata or {}).get("shelved_image_id")
        if msg.reason == "unshelve" and shelved == msg.image_ref:
            await _drop_shelve_image(agent, ctxt, msg.image_ref)


async def _drop_shelve_image(agent: AgentHost, ctxt: RequestContext, image_id: str) -> None:
    """The snapshot taken by shelve has served its purpose once unshelved (as in Nova)."""
    if agent.image_access is None or not image_id:
        return
    try:
        base, headers = await agent.access(ctxt)()
        await agent.images.client.delete(f"{base}/v2/images/{image_id}", headers=headers)
    except Exception:
        LOG.warning("could not delete shelve snapshot %s", image_id, exc_info=True)


async def _after_failed_spawn(
    agent: AgentHost, ctxt: RequestContext, msg: SpawnOnHost, expected: list[str | None]
) -> None:
    """A failed unshelve goes back to offloaded (freeing the claim); an evacuation errs."""
    uuid = msg.instance_uuid
    if msg.reason == "unshelve":
        await agent.conductor.offloaded(ctxt, uuid, expected)
    else:
        await agent.conductor.update(
            ctxt, uuid, {"vm_state": states.ERROR, "task_state": None}, expected
        )
