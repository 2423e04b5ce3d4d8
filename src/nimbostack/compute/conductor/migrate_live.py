"""Live migration, conductor side: pick the destination, prepare it, start the source.

PreLiveMigration is a call to the destination (it answers where to send the guest);
LiveMigration is cast to the source, which reports the outcome with UpdateMigration.
"""

from __future__ import annotations

import logging

from nimbostack.compute import states
from nimbostack.compute.conductor import moves, records
from nimbostack.compute.messages import (
    LiveMigrateInstance,
    LiveMigration,
    NoValidHost,
    PreLiveMigration,
)
from nimbostack.compute.objects import migrations
from nimbostack.compute.service_state import ComputeState
from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcError

LOG = logging.getLogger(__name__)
EVENT = "conductor_live_migrate_instance"
_EXPECTED: list[str | None] = [states.MIGRATING]


async def live_migrate(state: ComputeState, ctxt: RequestContext, msg: LiveMigrateInstance) -> None:
    uuid = msg.instance_uuid
    await records.conductor_event(state, ctxt, uuid, EVENT, "start")
    migration_uuid = None
    try:
        instance, migration = await moves.start(state, uuid, migrations.LIVE)
        migration_uuid = migration["uuid"]
        dest = await moves.schedule(
            state,
            ctxt,
            instance,
            flavor=instance.flavor,
            force_host=msg.host,
            ignore_source=True,
        )
        await moves.set_status(
            state,
            migration_uuid,
            "preparing",
            dest_compute=dest["host"],
            dest_node=dest["nodename"],
        )
        prepare = PreLiveMigration(
            instance_uuid=uuid,
            migrate_data={
                "dest_host": dest["host"],
                "block_migration": msg.block_migration,
                "shared_storage": not msg.block_migration,
            },
        )
        migrate_data = await state.rpc.call_agent(ctxt, str(dest["host"]), prepare)
    except (NoValidHost, RpcError) as exc:
        LOG.info("live migration of %s failed before it started: %s", uuid, exc)
        if migration_uuid is None:
            await records.update_instance(state, uuid, {"task_state": None}, _EXPECTED)
        else:
            await moves.abort(state, uuid, migration_uuid, _EXPECTED)
        await records.conductor_event(
            state, ctxt, uuid, EVENT, "finish", result="Error", tb=str(exc)
        )
        return
    await moves.set_status(state, migration_uuid, "running")
    go = LiveMigration(
        instance_uuid=uuid,
        migration_uuid=migration_uuid,
        migrate_data=dict(migrate_data),
        request_id=ctxt.request_id,
    )
    await state.rpc.cast_agent(ctxt, str(instance.host), go)
    await records.conductor_event(state, ctxt, uuid, EVENT, "finish")
