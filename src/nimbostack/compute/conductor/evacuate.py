"""Evacuation: rebuild an instance of a down host on another one.

The down host cannot use its allocation any more, so it is dropped at once (Nova keeps
it until the old host comes back; ours cleans the stale guest up when its agent starts,
see agent/recover.py).
"""

from __future__ import annotations

import logging

from nimbostack.compute import states
from nimbostack.compute.conductor import moves, records
from nimbostack.compute.messages import EvacuateInstance, NoValidHost, SpawnOnHost
from nimbostack.compute.objects import migrations
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext

LOG = logging.getLogger(__name__)
_EXPECTED: list[str | None] = [states.REBUILDING]


async def evacuate(state: ComputeState, ctxt: RequestContext, msg: EvacuateInstance) -> None:
    uuid = msg.instance_uuid
    try:
        instance, migration = await moves.start(state, uuid, migrations.EVACUATION)
    except NoValidHost as exc:
        await records.set_error(state, uuid, str(exc))
        return
    try:
        dest = await moves.schedule(
            state,
            ctxt,
            instance,
            flavor=instance.flavor,
            force_host=msg.host,
            ignore_source=True,
        )
    except NoValidHost as exc:
        await moves.abort(state, uuid, migration["uuid"], _EXPECTED)
        await records.record_fault(state, uuid, code=500, message=str(exc), host="")
        return
    await state.placement.delete_allocations(migration["uuid"])
    await moves.set_status(
        state, migration["uuid"], "done", dest_compute=dest["host"], dest_node=dest["nodename"]
    )
    await records.update_instance(
        state, uuid, {"host": dest["host"], "node": dest["nodename"]}, _EXPECTED
    )
    spawn = SpawnOnHost(
        instance_uuid=uuid,
        image_ref=str(instance.image_ref),
        node=str(dest["nodename"]),
        request_id=ctxt.request_id,
        reason="evacuate",
        admin_pass=msg.admin_pass,
    )
    await state.rpc.cast_agent(ctxt, str(dest["host"]), spawn)
