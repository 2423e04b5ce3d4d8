"""What a manager puts right when it starts, before it takes any message.

Work a crash interrupted has no one to finish it, so every record of this backend left
in a transitional status is moved to where a user or admin can go on: a create or
restore that was under way ends in ``error`` (its partial data deleted), an operation
that had not changed the data (upload, backup, retype, detach) puts the volume back in
its previous status, and deletes are carried out. Exports the backend still has open
without an attachment are closed. Quota usage needs no repair: it is counted from the
records themselves.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backends.base import GiB, VolumeRef
from nimbostack.volume.backup.posix import PosixStore
from nimbostack.volume.db.models import Attachment, Backup, Snapshot, Volume
from nimbostack.volume.manager import delete, snapshot
from nimbostack.volume.manager.host import BackendHost, snapshot_ref, volume_ref
from nimbostack.volume.objects import attachments, backups, snapshots, user_messages, volumes

LOG = logging.getLogger(__name__)
INTERRUPTED = "The volume service restarted while this was under way."
_BACK_TO_PREVIOUS = (states.UPLOADING, states.BACKING_UP, states.RETYPING, states.MAINTENANCE)


async def reconcile(h: BackendHost, store: PosixStore) -> None:
    ctxt = RequestContext.admin()
    await asyncio.to_thread(_empty, h.workdir)
    async with h.state.db.reader() as s:
        mine = list(
            (await s.scalars(select(Volume).where(Volume.host.startswith(f"{h.name}#")))).all()
        )
        snaps = list(
            (
                await s.scalars(
                    select(Snapshot).where(Snapshot.volume_id.in_([v.id for v in mine]))
                )
            ).all()
        )
    by_id = {v.id: v for v in mine}
    for volume in mine:
        await _volume(h, ctxt, volume)
    for snap in snaps:
        await _snapshot(h, ctxt, snap, by_id[snap.volume_id])
    await _backups(h, store, list(by_id))
    await _exports(h, list(by_id))


async def _volume(h: BackendHost, ctxt: RequestContext, volume: Volume) -> None:
    status = volume.status
    if status in (states.CREATING, states.DOWNLOADING, states.RESTORING_BACKUP):
        if status != states.RESTORING_BACKUP:
            await h.backend.delete(volume_ref(volume))
        await _tell(h, ctxt, volume)
        await _set(h, volume, [status], {"status": states.ERROR})
    elif status == states.DELETING:
        await delete.delete_volume(h, ctxt, volume.id)
    elif status == states.EXTENDING:
        await _extending(h, volume)
    elif status in _BACK_TO_PREVIOUS:
        previous = volume.previous_status or states.AVAILABLE
        extra = {"migration_status": "error"} if status in _BACK_TO_PREVIOUS[2:] else {}
        await _set(h, volume, [status], {"status": previous, "previous_status": None, **extra})
    elif status in (states.ATTACHING, states.DETACHING, states.RESERVED):
        async with h.state.db.session() as s:
            await attachments.lock_volume(s, volume.id)
            await attachments.refresh_volume_status(s, volume.id)


async def _extending(h: BackendHost, volume: Volume) -> None:
    """Keep an extend the data already shows; otherwise the volume stays as it was."""
    grown = False
    if volume.pending_size:
        try:
            grown = await h.backend.virtual_size(volume_ref(volume)) >= volume.pending_size * GiB
        except Exception:
            LOG.exception("cannot read the size of volume %s", volume.id)
    values: dict[str, Any] = {
        "status": volume.previous_status or states.AVAILABLE,
        "previous_status": None,
        "pending_size": None,
    }
    if grown:
        values["size"] = volume.pending_size
    await _set(h, volume, [states.EXTENDING], values)


async def _snapshot(h: BackendHost, ctxt: RequestContext, snap: Snapshot, volume: Volume) -> None:
    if snap.status == states.SNAP_CREATING:
        await h.backend.delete_snapshot(snapshot_ref(snap, volume))
        async with h.state.db.session() as s:
            await snapshots.transition(s, snap.id, [snap.status], {"status": states.SNAP_ERROR})
    elif snap.status == states.SNAP_DELETING:
        await snapshot.delete_snapshot(h, ctxt, snap.id)
    elif snap.status == states.SNAP_BACKING_UP:
        async with h.state.db.session() as s:
            await snapshots.transition(s, snap.id, [snap.status], {"status": states.SNAP_AVAILABLE})


async def _backups(h: BackendHost, store: PosixStore, volume_ids: list[str]) -> None:
    """Backups this backend was writing or restoring when it stopped."""
    async with h.state.db.reader() as s:
        found = list(
            (
                await s.scalars(
                    select(Backup).where(
                        Backup.host == h.name,
                        Backup.status.in_([states.BACKUP_CREATING, states.BACKUP_DELETING]),
                    )
                )
            ).all()
        )
        restoring = list(
            (
                await s.scalars(
                    select(Backup).where(
                        Backup.restore_volume_id.in_(volume_ids),
                        Backup.status == states.BACKUP_RESTORING,
                    )
                )
            ).all()
        )
    for backup in found:
        await store.delete(backup.id)
        async with h.state.db.session() as s:
            if backup.status == states.BACKUP_DELETING:
                await backups.remove(s, backup.id)
            else:
                await backups.set_values(
                    s, backup.id, {"status": states.BACKUP_ERROR, "fail_reason": INTERRUPTED}
                )
    for backup in restoring:
        async with h.state.db.session() as s:
            await backups.transition(
                s, backup.id, [states.BACKUP_RESTORING], {"status": states.BACKUP_AVAILABLE}
            )


async def _exports(h: BackendHost, volume_ids: list[str]) -> None:
    """Close every export without an attachment that still needs it.

    An attachment made with the attachments API names its export; one made with the
    legacy flow (``legacy-<volume>-<host>``) is needed while its volume has an
    attachment at all.
    """
    open_now = await h.backend.exports()
    if not open_now:
        return
    async with h.state.db.reader() as s:
        rows = await s.execute(
            select(Attachment.id, Attachment.volume_id, Attachment.connection_info).where(
                Attachment.volume_id.in_(volume_ids)
            )
        )
        found = rows.all()
    wanted = {att_id for att_id, _vid, info in found if info}
    attached = {vid for _att, vid, _info in found}
    for export_id in sorted(open_now - wanted):
        if export_id.startswith("legacy-") and export_id[7:43] in attached:
            continue
        LOG.info("closing export %s of backend %s: no attachment needs it", export_id, h.name)
        await h.backend.unexport(VolumeRef("", 0), export_id)


def _empty(directory: Path) -> None:
    """Scratch files an interrupted conversion or upload left behind."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.iterdir():
        leftover.unlink(missing_ok=True)


async def _set(h: BackendHost, volume: Volume, expected: list[str], values: dict[str, Any]) -> None:
    async with h.state.db.session() as s:
        await volumes.transition(s, volume.id, expected, values)


async def _tell(h: BackendHost, ctxt: RequestContext, volume: Volume) -> None:
    await h.tell_user(
        ctxt,
        project_id=volume.project_id,
        resource_type=user_messages.VOLUME,
        resource_id=volume.id,
        action=user_messages.CREATE_VOLUME_FROM_BACKEND,
        detail="driver_create_failed",
        text=INTERRUPTED,
    )
