"""Deleting a volume: its snapshots first (when the delete cascades), then its data, then
its record. A failure leaves the volume ``error_deleting`` (a snapshot
``error_deleting``), from which a new delete can try again."""

from __future__ import annotations

import logging

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.manager.host import BackendHost, snapshot_ref, volume_ref
from nimbostack.volume.objects import snapshots, user_messages, volumes

LOG = logging.getLogger(__name__)


async def delete_volume(h: BackendHost, ctxt: RequestContext, volume_id: str) -> None:
    async with h.locked(volume_id):
        volume = await h.volume(volume_id)
        if volume is None or volume.status != states.DELETING:
            return
        async with h.state.db.reader() as s:
            doomed = await snapshots.of_volume(s, volume_id)
        try:
            for snap in doomed:
                await h.backend.delete_snapshot(snapshot_ref(snap, volume))
                async with h.state.db.session() as s:
                    await snapshots.remove(s, snap.id)
            await h.backend.delete(volume_ref(volume))
        except Exception as exc:
            LOG.exception("deleting volume %s failed", volume_id)
            await h.tell_user(
                ctxt,
                project_id=volume.project_id,
                resource_type=user_messages.VOLUME,
                resource_id=volume_id,
                action=user_messages.CREATE_VOLUME_FROM_BACKEND,
                detail="unknown",
                text=f"The volume's data could not be deleted: {exc}",
            )
            await h.set_volume(volume_id, status=states.ERROR_DELETING)
            return
        async with h.state.db.session() as s:
            await volumes.remove(s, volume_id)
