"""Restoring a backup into a volume of this backend (an existing one, or a new one).

The API moved the backup to ``restoring`` and the volume to ``restoring-backup``. The
data is written to a raw view that becomes the volume's only once every chunk was
written and checked; a failed restore leaves the volume in ``error`` (its old data
may be gone) and the backup ``available`` again.
"""

from __future__ import annotations

import logging

from nimbostack.core.context import RequestContext
from nimbostack.volume import states
from nimbostack.volume.backup.posix import PosixStore
from nimbostack.volume.db.models import Backup
from nimbostack.volume.manager.host import BackendHost, volume_ref
from nimbostack.volume.objects import backups, user_messages, volumes

LOG = logging.getLogger(__name__)


def store_of(h: BackendHost) -> PosixStore:
    store = h.state.extra.get("backup_store")
    assert isinstance(store, PosixStore), "the volume service sets up the backup store"
    return store


async def restore_into(h: BackendHost, backup_id: str, volume_id: str) -> None:
    """Write the backup's data into the volume (raises on failure; callers clean up)."""
    volume = await h.volume(volume_id)
    if volume is None:
        raise LookupError(f"Volume {volume_id} no longer exists.")
    async with h.backend.raw_writer(volume_ref(volume)) as view:
        await store_of(h).restore(backup_id, view)


async def restore_backup(
    h: BackendHost, ctxt: RequestContext, backup_id: str, volume_id: str
) -> None:
    async with h.state.db.reader() as s:
        backup = await s.get(Backup, backup_id)
        volume = await volumes.get_any(s, volume_id)
    if backup is None or volume is None or volume.status != states.RESTORING_BACKUP:
        return
    async with h.locked(volume_id):
        try:
            await restore_into(h, backup_id, volume_id)
        except Exception:
            LOG.exception("restoring backup %s into volume %s failed", backup_id, volume_id)
            await h.tell_user(
                ctxt,
                project_id=volume.project_id,
                resource_type=user_messages.VOLUME,
                resource_id=volume_id,
                action=user_messages.BACKUP_RESTORE,
                detail="backup_restore_failed",
                text="Backup driver failed to restore backup.",
            )
            await _finish(h, backup_id, volume_id, ok=False)
            return
        await _finish(h, backup_id, volume_id, ok=True)


async def release_backup(h: BackendHost, backup_id: str) -> None:
    """The backup a new volume was made from is free again (restoring -> available)."""
    async with h.state.db.session() as s:
        await backups.transition(
            s, backup_id, [states.BACKUP_RESTORING], {"status": states.BACKUP_AVAILABLE}
        )


async def _finish(h: BackendHost, backup_id: str, volume_id: str, *, ok: bool) -> None:
    async with h.state.db.session() as s:
        await backups.transition(
            s, backup_id, [states.BACKUP_RESTORING], {"status": states.BACKUP_AVAILABLE}
        )
        await volumes.transition(
            s,
            volume_id,
            [states.RESTORING_BACKUP],
            {"status": states.AVAILABLE if ok else states.ERROR},
        )
