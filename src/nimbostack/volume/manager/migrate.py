"""Moving a volume to another backend (migrate, or a retype whose type needs another one).

The source manager asks the destination for an empty volume it can write to
(PrepareMigrationTarget), copies the data there, asks it to close the export
(FinishMigrationTarget), then points the record at the new home in one update and
deletes the old data. Until that update the record names the old data, so a failure
at any step leaves the volume where it was (the destination drops its copy).
"""

from __future__ import annotations

import logging
from typing import Any

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backends.base import BackendError, ConnectionInfo, VolumeRef
from nimbostack.volume.db.models import Volume
from nimbostack.volume.manager.host import BackendHost, volume_ref
from nimbostack.volume.messages import (
    FinishMigrationTarget,
    MigrateVolume,
    PrepareMigrationTarget,
    RetypeVolume,
)
from nimbostack.volume.objects import volumes

LOG = logging.getLogger(__name__)
MOVING = (states.RETYPING, states.MAINTENANCE)


async def retype_volume(h: BackendHost, ctxt: RequestContext, msg: RetypeVolume) -> None:
    async with h.locked(msg.volume_id):
        volume = await h.volume(msg.volume_id)
        if volume is None or volume.status != states.RETYPING:
            return
        values: dict[str, Any] = {"volume_type_id": msg.new_type_id}
        if msg.destination and msg.destination != h.name:
            moved = await _move(h, ctxt, volume, msg.destination)
            if moved is None:
                await _end(h, volume, {"migration_status": "error"})
                return
            values |= moved
        await _end(h, volume, values)


async def migrate_volume(h: BackendHost, ctxt: RequestContext, msg: MigrateVolume) -> None:
    async with h.locked(msg.volume_id):
        volume = await h.volume(msg.volume_id)
        if volume is None or volume.status != states.MAINTENANCE:
            return
        moved = await _move(h, ctxt, volume, msg.destination)
        await _end(h, volume, moved if moved is not None else {"migration_status": "error"})


async def _move(
    h: BackendHost, ctxt: RequestContext, volume: Volume, destination: str
) -> dict[str, Any] | None:
    """Copy the data to ``destination``; the record's new values, or None on failure."""
    rpc = h.state.rpc
    connector = {"host": h.backend.host}
    try:
        prepared = await rpc.call_manager(
            ctxt, destination, PrepareMigrationTarget(volume.id, volume.size, connector)
        )
        target = ConnectionInfo(prepared["driver_volume_type"], prepared["data"])
        await h.backend.copy_to(volume_ref(volume), target)
        await rpc.call_manager(ctxt, destination, FinishMigrationTarget(volume.id, keep=True))
    except Exception:
        LOG.exception("moving volume %s to %s failed", volume.id, destination)
        try:
            await rpc.call_manager(ctxt, destination, FinishMigrationTarget(volume.id, keep=False))
        except Exception:
            LOG.exception("the copy of volume %s on %s may be left over", volume.id, destination)
        return None
    old = volume_ref(volume)
    try:
        await h.backend.delete(old)
    except BackendError:
        LOG.exception("the old data of volume %s is left on %s", volume.id, h.name)
    pool = prepared.get("pool") or destination.partition("@")[2]
    return {
        "host": f"{destination}#{pool}",
        "provider_location": prepared.get("provider_location"),
        "migration_status": "success",
    }


async def _end(h: BackendHost, volume: Volume, values: dict[str, Any]) -> None:
    values = {**values, "status": volume.previous_status or states.AVAILABLE}
    values["previous_status"] = None
    async with h.state.db.session() as s:
        await volumes.transition(s, volume.id, MOVING, values)


async def prepare_target(
    h: BackendHost, ctxt: RequestContext, msg: PrepareMigrationTarget
) -> dict[str, Any]:
    """An empty volume here to copy into, exported to the source's host."""
    ref = VolumeRef(msg.volume_id, msg.size)
    await h.backend.delete(ref)  # what a failed earlier attempt left
    location = await h.backend.create(ref)
    ref = VolumeRef(msg.volume_id, msg.size, location)
    info = await h.backend.export(ref, f"migration-{msg.volume_id}", msg.connector)
    return {**info.to_dict(), "provider_location": location, "pool": h.pool}


async def finish_target(h: BackendHost, ctxt: RequestContext, msg: FinishMigrationTarget) -> None:
    ref = VolumeRef(msg.volume_id, 0)
    await h.backend.unexport(ref, f"migration-{msg.volume_id}")
    if not msg.keep:
        await h.backend.delete(ref)
