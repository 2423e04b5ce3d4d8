"""Backups of this backend's volumes (and snapshots) into the posix store, and their deletion.

The API has already moved the backup to ``creating`` and its source to ``backing-up``
(remembering the source's previous status); whatever happens here, the source goes
back to that status and the backup ends ``available`` or ``error`` with its reason.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backends.base import RawView
from nimbostack.volume.backup.posix import Manifest, PosixStore
from nimbostack.volume.db.models import Backup, Snapshot, Volume
from nimbostack.volume.manager.host import BackendHost, snapshot_ref, volume_ref
from nimbostack.volume.objects import backups, snapshots, user_messages, volumes

LOG = logging.getLogger(__name__)


async def create_backup(
    h: BackendHost, store: PosixStore, ctxt: RequestContext, backup_id: str
) -> None:
    async with h.state.db.reader() as s:
        backup = await s.get(Backup, backup_id)
        volume = await volumes.get_any(s, backup.volume_id) if backup else None
        snap = await s.get(Snapshot, backup.snapshot_id) if backup and backup.snapshot_id else None
    if backup is None or volume is None or backup.status != states.BACKUP_CREATING:
        return
    async with h.locked(backup.id):
        try:
            manifest = await _write(h, store, backup, volume, snap)
        except Exception as exc:
            LOG.exception("backup %s of volume %s failed", backup.id, volume.id)
            await store.delete(backup.id)
            await h.tell_user(
                ctxt,
                project_id=backup.project_id,
                resource_type=user_messages.BACKUP,
                resource_id=backup.id,
                action=user_messages.BACKUP_CREATE,
                detail="backup_create_failed",
                text="Backup driver failed to create backup.",
            )
            await _finish(h, backup, volume, snap, ok=False, reason=str(exc) or type(exc).__name__)
            return
        await _finish(h, backup, volume, snap, ok=True, stored=manifest.stored)


async def _write(
    h: BackendHost, store: PosixStore, backup: Backup, volume: Volume, snap: Snapshot | None
) -> Manifest:
    parent = await store.manifest(backup.parent_id) if backup.parent_id else None
    reader: AbstractAsyncContextManager[RawView]
    if snap is not None:
        reader = h.backend.snapshot_reader(snapshot_ref(snap, volume))
    else:
        reader = h.backend.raw_reader(volume_ref(volume))
    async with reader as view:
        return await store.write(backup.id, view, parent)


async def _finish(
    h: BackendHost,
    backup: Backup,
    volume: Volume,
    snap: Snapshot | None,
    *,
    ok: bool,
    reason: str = "",
    stored: int = 0,
) -> None:
    values = (
        {"status": states.BACKUP_AVAILABLE, "object_count": stored, "fail_reason": None}
        if ok
        else {"status": states.BACKUP_ERROR, "fail_reason": reason[:1000]}
    )
    async with h.state.db.session() as s:
        await backups.transition(s, backup.id, [states.BACKUP_CREATING], values)
        if snap is not None:
            await snapshots.transition(
                s, snap.id, [states.SNAP_BACKING_UP], {"status": states.SNAP_AVAILABLE}
            )
        else:
            await volumes.transition(
                s,
                volume.id,
                [states.BACKING_UP],
                {"status": volume.previous_status or states.AVAILABLE, "previous_status": None},
            )


async def delete_backup(
    h: BackendHost, store: PosixStore, ctxt: RequestContext, backup_id: str
) -> None:
    async with h.state.db.reader() as s:
        backup = await s.get(Backup, backup_id)
    if backup is None or backup.status != states.BACKUP_DELETING:
        return
    async with h.locked(backup.id):
        try:
            await store.delete(backup.id)
        except Exception:
            LOG.exception("deleting backup %s failed", backup.id)
            await h.tell_user(
                ctxt,
                project_id=backup.project_id,
                resource_type=user_messages.BACKUP,
                resource_id=backup.id,
                action=user_messages.BACKUP_DELETE,
                detail="backup_delete_failed",
                text="Backup driver failed to delete backup.",
            )
            async with h.state.db.session() as s:
                await backups.set_values(s, backup.id, {"status": states.BACKUP_ERROR_DELETING})
            return
        async with h.state.db.session() as s:
            await backups.remove(s, backup.id)
