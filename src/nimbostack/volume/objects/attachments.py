"""Attachments: reserving a volume for a server, recording its connection, detaching.

A volume's ``status``/``attach_status`` follow its attachments as Cinder's do: after
any change they are recomputed from the attachments left (attached -> in-use,
attaching, detaching, reserved, none -> available), in the same transaction, with
the volume's row locked. Reserving is one conditional UPDATE of the volume's status,
so two servers racing for a volume that is not multiattach get one winner.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import BadRequest, NotFound
from nimbostack.volume import states
from nimbostack.volume.db.models import Attachment, Volume
from nimbostack.volume.objects import volumes

# Attachment status -> volume status, in Cinder's order of precedence.
_VOLUME_STATUS = {
    states.ATT_ATTACHED: states.IN_USE,
    states.ATT_ATTACHING: states.ATTACHING,
    states.ATT_DETACHING: states.DETACHING,
    states.ATT_RESERVED: states.RESERVED,
}


def not_found(attachment_id: str) -> NotFound:
    return NotFound(
        f"Volume attachment could not be found with filter: attachment_id = {attachment_id}."
    )


async def get(s: AsyncSession, ctx: RequestContext, attachment_id: str) -> Attachment:
    stmt = select(Attachment).where(Attachment.id == attachment_id)
    if not ctx.is_admin:
        stmt = stmt.where(Attachment.project_id == (ctx.project_id or ""))
    found = await s.scalar(stmt)
    if found is None:
        raise not_found(attachment_id)
    return found


async def of_volume(s: AsyncSession, volume_id: str) -> list[Attachment]:
    rows = await s.scalars(
        select(Attachment).where(Attachment.volume_id == volume_id).order_by(Attachment.created_at)
    )
    return list(rows.all())


async def reserve(
    s: AsyncSession, volume: Volume, instance_uuid: str | None, mode: str
) -> Attachment:
    """Reserve the volume for ``instance_uuid``: one winner among racing requests.

    A volume already in use by the same server may be reserved again (a server moving
    to another host attaches there before detaching here).
    """
    expected: tuple[str, ...] = (states.AVAILABLE, states.DOWNLOADING)
    if volume.multiattach:
        expected += (states.IN_USE, states.RESERVED)
    won = await volumes.transition(s, volume.id, expected, {"status": states.RESERVED})
    if not won and not await _same_server(s, volume.id, instance_uuid):
        current = await s.scalar(select(Volume.status).where(Volume.id == volume.id))
        raise BadRequest(
            f"Invalid volume: Volume {volume.id} status must be {' or '.join(expected)} to "
            f"reserve, but the current status is {current}."
        )
    now = time.time()
    attachment = Attachment(
        id=str(uuid.uuid4()),
        volume_id=volume.id,
        project_id=volume.project_id,
        instance_uuid=instance_uuid,
        attach_status=states.ATT_RESERVED,
        attach_mode=mode,
        created_at=now,
        updated_at=now,
    )
    s.add(attachment)
    await s.flush()
    return attachment


async def _same_server(s: AsyncSession, volume_id: str, instance_uuid: str | None) -> bool:
    if not instance_uuid:
        return False
    found = await s.scalar(
        select(Attachment.id).where(
            Attachment.volume_id == volume_id, Attachment.instance_uuid == instance_uuid
        )
    )
    return found is not None


async def lock_volume(s: AsyncSession, volume_id: str) -> Volume | None:
    """The volume, read afresh, with its row locked until the transaction ends.

    Read afresh matters: a volume the session loaded before it waited for the lock
    would otherwise keep the values it had then.
    """
    return await get_for_update(s, Volume, volume_id)


async def refresh_volume_status(s: AsyncSession, volume_id: str) -> None:
    """Recompute the volume's status and attach_status from its attachments."""
    rows = await s.scalars(
        select(Attachment.attach_status).where(
            Attachment.volume_id == volume_id, ~Attachment.attach_status.startswith("error_")
        )
    )
    present = set(rows.all())
    attach_status = next((a for a in _VOLUME_STATUS if a in present), states.DETACHED)
    status = _VOLUME_STATUS.get(attach_status, states.AVAILABLE)
    await s.execute(
        update(Volume)
        .where(Volume.id == volume_id)
        .values(status=status, attach_status=attach_status, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )


async def set_connection(
    s: AsyncSession,
    attachment: Attachment,
    *,
    connector: dict[str, Any],
    connection_info: dict[str, Any],
) -> None:
    """Record a connection made for the attachment: it and its volume are now attaching."""
    attachment.connector = connector
    attachment.connection_info = connection_info
    attachment.attached_host = str(connector.get("host") or "") or None
    attachment.mountpoint = connector.get("mountpoint")
    attachment.attach_status = states.ATT_ATTACHING
    attachment.updated_at = time.time()
    await s.flush()
    await refresh_volume_status(s, attachment.volume_id)


async def complete(s: AsyncSession, attachment: Attachment) -> None:
    attachment.attach_status = states.ATT_ATTACHED
    attachment.attach_time = attachment.attach_time or time.time()
    attachment.updated_at = time.time()
    await s.flush()
    await refresh_volume_status(s, attachment.volume_id)


async def remove(s: AsyncSession, attachment: Attachment) -> None:
    volume_id = attachment.volume_id
    await lock_volume(s, volume_id)
    await s.delete(attachment)
    await s.flush()
    await refresh_volume_status(s, volume_id)
