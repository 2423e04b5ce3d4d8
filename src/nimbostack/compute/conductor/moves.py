"""What every move shares: the migration record, its placement consumer, and its steps.

Moving an instance follows Nova: the migration's uuid takes over the source-host
allocation, the scheduler claims the destination for the instance itself; confirming
(or completing a live migration) drops the migration's allocation, reverting or failing
gives it back to the instance.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.conductor import records
from nimbostack.compute.db.models import Instance
from nimbostack.compute.instance_record import InstanceRecord
from nimbostack.compute.messages import InstanceNotFound, NoValidHost, SelectDestinations
from nimbostack.compute.objects import instances, migrations
from nimbostack.compute.scheduler.request_spec import RequestSpec
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcError

LOG = logging.getLogger(__name__)

# What a status does to the instance's host and to placement.
_TO_DEST = {"finished", "completed", "done"}
_TO_SOURCE = {"reverted"}
_DROP_SOURCE = {"confirmed", "completed", "done"}
_GIVE_BACK = {"reverted", "error", "failed"}


async def start(
    state: ComputeState, uuid: str, migration_type: str, new_flavor_id: str | None = None
) -> tuple[InstanceRecord, dict[str, Any]]:
    """Record the migration and hand it the instance's allocation. Returns both."""
    async with state.db.session() as session:
        instance = await instances.get(session, uuid)
        record = await migrations.create(
            session,
            instance,
            migration_type=migration_type,
            status="pre-migrating" if migration_type != migrations.LIVE else "accepted",
            new_flavor_id=new_flavor_id,
        )
        pair = instances.to_record(instance), migrations.to_dict(record)
    if not await state.placement.move_allocations(uuid, pair[1]["uuid"]):
        await set_status(state, pair[1]["uuid"], "error")
        raise NoValidHost("The instance's allocation changed during the move; try again.")
    return pair


async def schedule(
    state: ComputeState,
    ctxt: RequestContext,
    instance: InstanceRecord,
    *,
    flavor: dict[str, Any],
    force_host: str | None,
    ignore_source: bool,
) -> dict[str, Any]:
    """Pick and claim a destination for the instance with ``flavor``."""
    spec = RequestSpec.from_dict(instance.request_spec or {})
    spec.project_id, spec.user_id = instance.project_id, instance.user_id
    spec.flavor = flavor
    spec.num_instances = 1
    spec.force_host = force_host
    spec.ignore_hosts = [instance.host] if ignore_source and instance.host else []
    spec.attempts, spec.alternates = [], []
    if instance.availability_zone and not spec.availability_zone:
        spec.availability_zone = None  # a move may leave a default zone (Nova does)
    try:
        selections = await state.rpc.call_scheduler(
            ctxt,
            SelectDestinations(
                request_spec=spec.to_dict(),
                instance_uuids=[instance.uuid],
                return_alternates=False,
            ),
        )
    except RpcError as exc:
        raise NoValidHost(f"No valid host was found. {exc}") from exc
    return dict(selections[0][0])


async def set_status(state: ComputeState, migration_uuid: str, status: str, **dest: Any) -> None:
    async with state.db.session() as session:
        record = await migrations.get(session, migration_uuid)
        if record is not None:
            migrations.update(record, {"status": status, **dest})


async def abort(
    state: ComputeState, uuid: str, migration_uuid: str, expected: list[str | None]
) -> None:
    """Undo a move that never reached a host: allocation back, task cleared."""
    await state.placement.delete_allocations(uuid)
    await state.placement.move_allocations(migration_uuid, uuid)
    await set_status(state, migration_uuid, "error")
    try:
        await records.update_instance(state, uuid, {"task_state": None}, expected)
    except Exception:
        LOG.exception("could not clear the task state of %s", uuid)


async def update_migration(
    state: ComputeState,
    uuid: str,
    migration_uuid: str,
    *,
    status: str,
    values: dict[str, Any],
    expected: list[str | None] | None,
) -> dict[str, Any]:
    """An agent's migration step: status, instance values, and the placement consequence.

    Placement changes first, so a client that sees the new state sees its allocations.
    """
    async with state.db.session() as session:
        record = (
            await migrations.get(session, migration_uuid)
            if migration_uuid
            else await migrations.in_progress(session, uuid, ("finished", "confirming"))
        )
        if record is None:
            raise InstanceNotFound(f"No migration {migration_uuid!r} for instance {uuid}.")
        instance = await instances.get(session, uuid)
        instances.apply(instance, {}, expected)  # only the guard: refuse a lost race early
        found = migrations.to_dict(record)
    if status in _DROP_SOURCE:
        await state.placement.delete_allocations(found["uuid"])
    elif status in _GIVE_BACK:
        await state.placement.move_allocations(found["uuid"], uuid)
    values = dict(values)
    if status in _TO_DEST and found["dest_compute"]:
        values.update(host=found["dest_compute"], node=found["dest_node"])
    if status in _TO_SOURCE:
        values.update(host=found["source_compute"], node=found["source_node"])
    async with state.db.session() as session:
        record = await migrations.get(session, found["uuid"])
        assert record is not None
        migrations.update(record, {"status": status})
        if values:
            target: Instance = await instances.get_for_update(session, uuid)
            instances.apply(target, values, expected)
        return migrations.to_dict(record)


def old_vm_state(instance: InstanceRecord) -> str:
    """The vm_state to come back to after a move (active or stopped)."""
    saved = (instance.system_metadata or {}).get("old_vm_state")
    return str(saved) if saved in (states.ACTIVE, states.STOPPED) else states.ACTIVE
