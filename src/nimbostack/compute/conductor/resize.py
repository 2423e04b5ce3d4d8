"""Resize and cold migration, conductor side: schedule the destination, send PrepResize.

The agents then run PrepResize (destination) -> ResizeInstance (source) ->
FinishResize (destination) and the instance waits in VERIFY_RESIZE for a confirm or a
revert. A resize may land on the same host (a one-host cloud can resize); a cold
migration never does.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbostack.compute import states
from nimbostack.compute.conductor import moves, records
from nimbostack.compute.messages import MigrateInstance, NoValidHost, PrepResize
from nimbostack.compute.objects import migrations
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
EVENT = "conductor_migrate_server"
_EXPECTED: list[str | None] = [states.RESIZE_PREP]


async def migrate_instance(state: ComputeState, ctxt: RequestContext, msg: MigrateInstance) -> None:
    uuid = msg.instance_uuid
    resize = msg.flavor is not None
    kind = migrations.RESIZE if resize else migrations.MIGRATION
    await records.conductor_event(state, ctxt, uuid, EVENT, "start")
    try:
        current = await records.get_instance(state, uuid, read_deleted=False)
        flavor: dict[str, Any] = msg.flavor or current.flavor
        instance, migration = await moves.start(
            state, uuid, kind, str(flavor.get("flavorid", "")) or None
        )
    except NoValidHost as exc:
        await _give_up(state, ctxt, uuid, None, str(exc))
        return
    try:
        dest = await moves.schedule(
            state, ctxt, instance, flavor=flavor, force_host=msg.host, ignore_source=not resize
        )
    except NoValidHost as exc:
        await _give_up(state, ctxt, uuid, migration["uuid"], str(exc))
        return
    await moves.set_status(
        state,
        migration["uuid"],
        "pre-migrating",
        dest_compute=dest["host"],
        dest_node=dest["nodename"],
    )
    meta = {"old_vm_state": instance.vm_state}
    await records.update_instance(
        state,
        uuid,
        {"new_flavor": flavor, "old_flavor": instance.flavor, "system_metadata": meta},
        _EXPECTED,
    )
    prep = PrepResize(
        instance_uuid=uuid,
        migration_uuid=migration["uuid"],
        flavor=flavor,
        node=str(dest["nodename"]),
        request_id=ctxt.request_id,
    )
    await state.rpc.cast_agent(ctxt, str(dest["host"]), prep)
    await records.conductor_event(state, ctxt, uuid, EVENT, "finish")


async def _give_up(
    state: ComputeState, ctxt: RequestContext, uuid: str, migration: str | None, reason: str
) -> None:
    LOG.info("cannot move %s: %s", uuid, reason)
    if migration is not None:
        await moves.abort(state, uuid, migration, _EXPECTED)
    else:
        await records.update_instance(state, uuid, {"task_state": None}, _EXPECTED)
    await records.conductor_event(state, ctxt, uuid, EVENT, "finish", result="Error", tb=reason)
