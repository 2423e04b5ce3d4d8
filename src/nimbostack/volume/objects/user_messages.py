"""User messages (``/messages``, 3.3): why an asynchronous request about a resource failed.

Event ids and texts follow Cinder's: ``VOLUME_<resource>_<action>_<detail>`` and
``<action>:<detail>``, with our own detail text where Cinder's fixed table has none.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.errors import NotFound
from nimbostack.volume.db.models import Message

VOLUME = "VOLUME"
SNAPSHOT = "VOLUME_SNAPSHOT"
BACKUP = "VOLUME_BACKUP"


@dataclass(frozen=True)
class Action:
    id: str
    text: str


SCHEDULE_ALLOCATE_VOLUME = Action("001", "schedule allocate volume")
ATTACH_VOLUME = Action("002", "attach volume")
COPY_VOLUME_TO_IMAGE = Action("003", "copy volume to image")
UPDATE_ATTACHMENT = Action("004", "update attachment")
COPY_IMAGE_TO_VOLUME = Action("005", "copy image to volume")
EXTEND_VOLUME = Action("007", "extend volume")
CREATE_VOLUME_FROM_BACKEND = Action("008", "create volume from backend storage")
SNAPSHOT_CREATE = Action("009", "create snapshot")
SNAPSHOT_DELETE = Action("010", "delete snapshot")
BACKUP_CREATE = Action("013", "create backup")
BACKUP_DELETE = Action("014", "delete backup")
BACKUP_RESTORE = Action("015", "restore backup")

# Cinder's detail ids for the failures we report; "other" is our own wording.
DETAIL_IDS = {
    "unknown": "001",
    "no_backend": "003",
    "upload_failed": "004",
    "quota": "006",
    "image_too_big": "007",
    "compute_extend_failed": "009",
    "driver_extend_failed": "010",
    "driver_create_failed": "012",
    "snapshot_create_failed": "013",
    "snapshot_delete_failed": "016",
    "backup_create_failed": "020",
    "backup_delete_failed": "025",
    "backup_restore_failed": "026",
    "volume_invalid_state": "027",
    "image_unacceptable": "029",
}


async def record(
    db: Database,
    ctx: RequestContext,
    *,
    project_id: str,
    resource_type: str,
    resource_uuid: str,
    action: Action,
    detail: str,
    text: str,
    ttl: int,
) -> None:
    """Store a message for the resource's project (``detail`` keys DETAIL_IDS)."""
    now = time.time()
    detail_id = DETAIL_IDS.get(detail, DETAIL_IDS["unknown"])
    async with db.session() as s:
        s.add(
            Message(
                id=str(uuid.uuid4()),
                project_id=project_id,
                request_id=ctx.global_request_id or ctx.request_id,
                resource_type=resource_type,
                resource_uuid=resource_uuid,
                event_id=f"VOLUME_{resource_type}_{action.id}_{detail_id}",
                message_level="ERROR",
                user_message=f"{action.text}:{text}",
                created_at=now,
                expires_at=now + ttl,
            )
        )


async def get(s: AsyncSession, ctx: RequestContext, message_id: str) -> Message:
    stmt = select(Message).where(Message.id == message_id)
    if not ctx.is_admin:
        stmt = stmt.where(Message.project_id == (ctx.project_id or ""))
    found = await s.scalar(stmt)
    if found is None:
        raise NotFound(f"Message {message_id} could not be found.")
    return found


async def expire(db: Database) -> None:
    """Delete messages past their ``expires_at`` (a periodic task of the scheduler)."""
    async with db.session() as s:
        await s.execute(delete(Message).where(Message.expires_at < time.time()))
