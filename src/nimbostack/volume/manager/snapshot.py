"""Snapshots of this backend's volumes: copying the data, and deleting it."""

from __future__ import annotations

import logging

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.db.models import Snapshot
from nimbostack.volume.manager.host import BackendHost, snapshot_ref
from nimbostack.volume.objects import snapshots, user_messages, volumes

LOG = logging.getLogger(__name__)


async def create_snapshot(h: BackendHost, ctxt: RequestContext, snapshot_id: str) -> None:
    snap = await h.snapshot(snapshot_id)
    if snap is None or snap.status != states.SNAP_CREATING:
        return
    async with h.locked(snap.volume_id):
        volume = await h.volume(snap.volume_id)
        if volume is None:
            return
        try:
            location = await h.backend.create_snapshot(snapshot_ref(snap, volume))
        except Exception as exc:
            LOG.exception("snapshot %s of volume %s failed", snap.id, volume.id)
            LOG.warning("snapshot %s failed: %s", snap.id, exc)
            await _failed(h, ctxt, snap, was=states.SNAP_CREATING, now=states.SNAP_ERROR)
            return
        async with h.state.db.session() as s:
            done = await snapshots.transition(
                s,
                snap.id,
                [states.SNAP_CREATING],
                {
                    "status": states.SNAP_AVAILABLE,
                    "provider_location": location,
                    "progress": "100%",
                },
            )
            if not done:  # deleted meanwhile: the delete needs the location
                await snapshots.set_values(s, snap.id, {"provider_location": location})


async def delete_snapshot(h: BackendHost, ctxt: RequestContext, snapshot_id: str) -> None:
    snap = await h.snapshot(snapshot_id)
    if snap is None or snap.status != states.SNAP_DELETING:
        return
    async with h.locked(snap.volume_id):
        async with h.state.db.reader() as s:
            volume = await volumes.get_any(s, snap.volume_id)
            snap = await s.get(Snapshot, snapshot_id)
        if snap is None or volume is None:
            return
        try:
            await h.backend.delete_snapshot(snapshot_ref(snap, volume))
        except Exception:
            LOG.exception("deleting snapshot %s failed", snap.id)
            await _failed(h, ctxt, snap, was=states.SNAP_DELETING, now=states.SNAP_ERROR_DELETING)
            return
        async with h.state.db.session() as s:
            await snapshots.remove(s, snap.id)


async def _failed(
    h: BackendHost, ctxt: RequestContext, snap: Snapshot, *, was: str, now: str
) -> None:
    creating = was == states.SNAP_CREATING
    await h.tell_user(
        ctxt,
        project_id=snap.project_id,
        resource_type=user_messages.SNAPSHOT,
        resource_id=snap.id,
        action=user_messages.SNAPSHOT_CREATE if creating else user_messages.SNAPSHOT_DELETE,
        detail="snapshot_create_failed" if creating else "snapshot_delete_failed",
        text="Snapshot failed to create." if creating else "Snapshot failed to delete.",
    )
    async with h.state.db.session() as s:
        await snapshots.transition(s, snap.id, [was], {"status": now})
