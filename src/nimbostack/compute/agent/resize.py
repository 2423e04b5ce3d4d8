"""Resize and cold migration between agents, and their confirm and revert.

PrepResize (destination) -> ResizeInstance (source: power off, hand over disks) ->
FinishResize (destination: start on the new flavor) -> VERIFY_RESIZE. Confirm runs on
the source (forget the old copy), revert on the destination then the source. Every
step reports through UpdateMigration, which also moves the placement allocations.
"""

from __future__ import annotations

import logging

from nimbostack.compute import states
from nimbostack.compute.agent import guest, port_moves
from nimbostack.compute.agent.host import AgentHost
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import (
    ConfirmResize,
    FinishResize,
    FinishRevertResize,
    PrepResize,
    ResizeInstance,
    RevertResize,
)
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)


async def _fail(
    agent: AgentHost,
    ctxt: RequestContext,
    uuid: str,
    migration: str,
    exc: Exception,
    *,
    expected: list[str | None],
) -> None:
    LOG.warning("resize of %s failed on %s: %s", uuid, agent.host, exc)
    await agent.conductor.fault(ctxt, uuid, exc)
    values = {"vm_state": states.ERROR, "task_state": None}
    await agent.conductor.migration(
        ctxt, uuid, migration, "error", values=values, expected=expected
    )


async def prep_resize(agent: AgentHost, ctxt: RequestContext, msg: PrepResize) -> None:
    uuid = msg.instance_uuid
    expected: list[str | None] = [states.RESIZE_PREP]
    async with agent.locks.hold(uuid):
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_prep_resize"):
                instance = await agent.conductor.update(
                    ctxt, uuid, {"task_state": states.RESIZE_MIGRATING}, expected
                )
                await agent.conductor.migration(ctxt, uuid, msg.migration_uuid, "migrating")
        except Exception as exc:
            await _fail(
                agent,
                ctxt,
                uuid,
                msg.migration_uuid,
                exc,
                expected=[*expected, states.RESIZE_MIGRATING],
            )
            return
    go = ResizeInstance(
        instance_uuid=uuid,
        migration_uuid=msg.migration_uuid,
        flavor=msg.flavor,
        dest_host=agent.host,
        request_id=msg.request_id,
    )
    await agent.rpc.cast_agent(ctxt, str(instance.host), go)


async def resize_instance(agent: AgentHost, ctxt: RequestContext, msg: ResizeInstance) -> None:
    uuid = msg.instance_uuid
    expected: list[str | None] = [states.RESIZE_MIGRATING]
    async with agent.locks.hold(uuid):
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_resize_instance"):
                instance = await agent.conductor.get(ctxt, uuid)
                spec = await guest.guest_spec(agent, ctxt, instance, with_image=False)
                disk_info = await agent.driver.migrate_disk_and_power_off(spec, msg.dest_host)
                await agent.conductor.update(
                    ctxt,
                    uuid,
                    {"task_state": states.RESIZE_MIGRATED, "power_state": states.SHUTDOWN},
                    expected,
                )
                await agent.conductor.migration(ctxt, uuid, msg.migration_uuid, "post-migrating")
        except Exception as exc:
            await _fail(
                agent,
                ctxt,
                uuid,
                msg.migration_uuid,
                exc,
                expected=[*expected, states.RESIZE_MIGRATED],
            )
            return
    finish = FinishResize(
        instance_uuid=uuid,
        migration_uuid=msg.migration_uuid,
        disk_info=disk_info,
        request_id=msg.request_id,
    )
    await agent.rpc.cast_agent(ctxt, msg.dest_host, finish)


def _back_to(instance: InstanceRecord) -> str:
    saved = (instance.system_metadata or {}).get("old_vm_state")
    return states.STOPPED if saved == states.STOPPED else states.ACTIVE


async def finish_resize(agent: AgentHost, ctxt: RequestContext, msg: FinishResize) -> None:
    uuid = msg.instance_uuid
    expected: list[str | None] = [states.RESIZE_MIGRATED]
    async with agent.locks.hold(uuid):
        try:
            async with agent.conductor.event(ctxt, uuid, msg.request_id, "compute_finish_resize"):
                instance = await agent.conductor.get(ctxt, uuid)
                new = instance.new_flavor or instance.flavor
                resized = new.get("flavorid") != instance.flavor.get("flavorid")
                power_on = _back_to(instance) == states.ACTIVE
                async with port_moves.arriving(agent, ctxt, instance) as arrival:
                    instance = arrival.instance
                    spec = await guest.guest_spec(agent, ctxt, instance, flavor=new)
                    await agent.driver.finish_migration(
                        spec, msg.disk_info, resize=resized, power_on=power_on
                    )
                    if power_on:
                        await port_moves.plugged(agent, arrival)
                values = {
                    "vm_state": states.RESIZED,
                    "task_state": None,
                    "flavor": new,
                    "old_flavor": instance.flavor,
                    "new_flavor": None,
                    "power_state": await agent.driver.power_state(uuid),
                }
                await agent.conductor.migration(
                    ctxt, uuid, msg.migration_uuid, "finished", values=values, expected=expected
                )
        except Exception as exc:
            await _fail(agent, ctxt, uuid, msg.migration_uuid, exc, expected=expected)


async def confirm_resize(agent: AgentHost, ctxt: RequestContext, msg: ConfirmResize) -> None:
    """On the source host: forget the old copy; the migration's allocation is dropped."""
    uuid, migration, request_id = msg.instance_uuid, msg.migration_uuid, msg.request_id
    async with agent.locks.hold(uuid):
        instance = await agent.conductor.get(ctxt, uuid)
        async with agent.conductor.event(ctxt, uuid, request_id, "compute_confirm_resize"):
            await agent.driver.confirm_migration(uuid)
            values = {
                "vm_state": _back_to(instance),
                "task_state": None,
                "old_flavor": None,
                "new_flavor": None,
            }
            await agent.conductor.migration(
                ctxt,
                uuid,
                migration,
                "confirmed",
                values=values,
                expected=[None, states.RESIZE_CONFIRMING],
            )


async def revert_resize(agent: AgentHost, ctxt: RequestContext, msg: RevertResize) -> None:
    """On the destination: drop the new copy, then let the source restore the old one."""
    uuid = msg.instance_uuid
    async with (
        agent.locks.hold(uuid),
        agent.conductor.event(ctxt, uuid, msg.request_id, "compute_revert_resize"),
    ):
        migration = await agent.conductor.migration(ctxt, uuid, msg.migration_uuid, "reverting")
        if migration["source_compute"] != agent.host:
            await agent.driver.destroy(uuid)
    back = FinishRevertResize(
        instance_uuid=uuid, migration_uuid=migration["uuid"], request_id=msg.request_id
    )
    await agent.rpc.cast_agent(ctxt, str(migration["source_compute"]), back)


async def finish_revert_resize(
    agent: AgentHost, ctxt: RequestContext, msg: FinishRevertResize
) -> None:
    uuid = msg.instance_uuid
    async with (
        agent.locks.hold(uuid),
        agent.conductor.event(ctxt, uuid, msg.request_id, "compute_finish_revert_resize"),
    ):
        instance = await agent.conductor.get(ctxt, uuid)
        old = instance.old_flavor or instance.flavor
        vm_state = _back_to(instance)
        async with port_moves.arriving(agent, ctxt, instance) as arrival:
            instance = arrival.instance
            spec = await guest.guest_spec(agent, ctxt, instance, flavor=old)
            await agent.driver.finish_revert_migration(spec, power_on=vm_state == states.ACTIVE)
            if vm_state == states.ACTIVE:
                await port_moves.plugged(agent, arrival)
        values = {
            "vm_state": vm_state,
            "task_state": None,
            "flavor": old,
            "old_flavor": None,
            "new_flavor": None,
            "power_state": await agent.driver.power_state(uuid),
        }
        await agent.conductor.migration(
            ctxt,
            uuid,
            msg.migration_uuid,
            "reverted",
            values=values,
            expected=[states.RESIZE_REVERTING],
        )
