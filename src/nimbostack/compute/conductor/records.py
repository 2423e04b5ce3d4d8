"""The agents' window on the database: instance reads and guarded writes, events, faults."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.db.models import (
    Instance,
    Migration,
)
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import AddBlockDevice
from nimbostack.compute.objects import actions, block_devices, faults, instances, server_groups
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
_OPEN_MIGRATIONS = (
    "pre-migrating",
    "migrating",
    "post-migrating",
    "finished",
    "preparing",
    "running",
    "accepted",
    "confirming",
    "reverting",
)


async def get_instance(state: ComputeState, uuid: str, read_deleted: bool) -> InstanceRecord:
    async with state.db.session() as session:
        instance = await instances.get(session, uuid, read_deleted=read_deleted)
        return instances.to_record(instance, await block_devices.records(session, uuid))


async def update_instance(
    state: ComputeState,
    uuid: str,
    values: dict[str, Any],
    expected: list[str | None] | None,
) -> InstanceRecord:
    async with state.db.session() as session:
        instance = await instances.update(session, uuid, values, expected)
        return instances.to_record(instance, await block_devices.records(session, uuid))


async def change_block_device(
    state: ComputeState, bdm_uuid: str, values: dict[str, Any], expected: list[str] | None
) -> bool:
    async with state.db.session() as session:
        return await block_devices.change(session, bdm_uuid, values, expected)


async def add_block_device(state: ComputeState, msg: AddBlockDevice) -> str:
    async with state.db.session() as session:
        instance = await instances.get(session, msg.instance_uuid)
        row = block_devices.new(
            msg.instance_uuid,
            instance.project_id,
            msg.volume_id,
            msg.device_name,
            tag=msg.tag,
            delete_on_termination=msg.delete_on_termination,
            boot_index=msg.boot_index,
        )
        row.attachment_id = msg.attachment_id
        session.add(row)
    return row.uuid


async def remove_block_device(state: ComputeState, bdm_uuid: str) -> None:
    async with state.db.session() as session:
        await block_devices.remove(session, bdm_uuid)


async def set_error(
    state: ComputeState, uuid: str, message: str, *, host: str | None = None, code: int = 500
) -> None:
    """Instance to ERROR (task cleared) with a fault; a deleted instance is left alone."""
    async with state.db.session() as session:
        instance = await session.get(Instance, uuid)
        if instance is None or instance.deleted:
            return
        instances.apply(instance, {"vm_state": states.ERROR, "task_state": None})
        await faults.record(session, uuid, code=code, message=message, host=host)


async def record_event(
    state: ComputeState,
    *,
    uuid: str,
    request_id: str,
    event: str,
    phase: str,
    host: str,
    result: str | None = None,
    traceback: str | None = None,
    start_time: float | None = None,
) -> None:
    async with state.db.session() as session:
        if phase == "finish" and start_time is not None:
            await actions.event_reported(
                session,
                instance_uuid=uuid,
                request_id=request_id,
                event=event,
                host=host,
                start_time=start_time,
                result=result or "Success",
                traceback=traceback,
            )
        elif phase == "start":
            await actions.event_start(
                session, instance_uuid=uuid, request_id=request_id, event=event, host=host
            )
        else:
            await actions.event_finish(
                session,
                instance_uuid=uuid,
                request_id=request_id,
                event=event,
                result=result or "Success",
                traceback=traceback,
            )


async def record_fault(
    state: ComputeState,
    uuid: str,
    *,
    code: int,
    message: str,
    host: str,
    details: str | None = None,
) -> None:
    async with state.db.session() as session:
        await faults.record(session, uuid, code=code, message=message, host=host, details=details)


async def instance_terminated(state: ComputeState, uuid: str) -> None:
    """Free placement (its and its migrations'), then mark deleted and leave its group.

    Placement goes first so that a client who sees the server gone sees no allocation.
    """
    async with state.db.session() as session:
        migrations = list(
            await session.scalars(
                select(Migration.uuid).where(
                    Migration.instance_uuid == uuid, Migration.status.in_(_OPEN_MIGRATIONS)
                )
            )
        )
    for consumer in [uuid, *migrations]:
        await state.placement.delete_allocations(consumer)
    now = time.time()
    async with state.db.session() as session:
        instance = await session.get(Instance, uuid)
        if instance is None:
            return
        if not instance.deleted:
            instances.apply(
                instance,
                {
                    "vm_state": states.DELETED,
                    "task_state": None,
                    "power_state": states.NOSTATE,
                    "deleted": True,
                    "deleted_at": now,
                    "terminated_at": now,
                },
            )
        await server_groups.remove_member(session, instance.project_id, uuid)


async def instance_offloaded(
    state: ComputeState, uuid: str, expected: list[str | None] | None
) -> InstanceRecord:
    values = {
        "vm_state": states.SHELVED_OFFLOADED,
        "task_state": None,
        "power_state": states.SHUTDOWN,
        "host": None,
        "node": None,
    }
    current = await get_instance(state, uuid, read_deleted=False)
    if expected is not None and current.task_state not in expected:
        return await update_instance(state, uuid, values, expected)  # raises the lost race
    await state.placement.delete_allocations(uuid)
    return await update_instance(state, uuid, values, expected)


async def host_instances(state: ComputeState, host: str) -> dict[str, dict[str, Any]]:
    async with state.db.session() as session:
        rows = await session.execute(
            select(
                Instance.uuid, Instance.vm_state, Instance.task_state, Instance.power_state
            ).where(Instance.host == host, Instance.deleted.is_(False))
        )
        return {
            uuid: {"vm_state": vm, "task_state": task, "power_state": power}
            for uuid, vm, task, power in rows
        }


async def conductor_event(
    state: ComputeState,
    ctxt: RequestContext,
    uuid: str,
    event: str,
    phase: str,
    *,
    result: str | None = None,
    tb: str | None = None,
) -> None:
    """Record a step the conductor itself runs (no host) in the instance's action."""
    await record_event(
        state,
        uuid=uuid,
        request_id=ctxt.request_id,
        event=event,
        phase=phase,
        host="",
        result=result,
        traceback=tb,
    )
