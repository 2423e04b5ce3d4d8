"""Block device mappings: the volumes of a server, their guest device and connection.

A row is written by the API when it reserves a volume (status ``attaching``), completed
by the agent through the conductor (``attached``, with the connection), and removed
once the volume is detached. Status changes are conditional UPDATEs, so two racing
detaches of one volume have one winner; one row per server and volume (a unique
constraint) makes two racing attaches of one volume to one server have one winner too.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import BlockDeviceMapping
from nimbostack.compute.instance_record import (
    BDM_ATTACHED as ATTACHED,
)
from nimbostack.compute.instance_record import (
    BDM_ATTACHING as ATTACHING,
)
from nimbostack.compute.instance_record import (
    BDM_DETACHING as DETACHING,
)
from nimbostack.compute.instance_record import BlockDevice

__all__ = ["ATTACHED", "ATTACHING", "DETACHING"]
_WRITABLE = {"attachment_id", "connection_info", "status", "device_name"}


async def of_instance(s: AsyncSession, instance_uuid: str) -> list[BlockDeviceMapping]:
    rows = await s.scalars(
        select(BlockDeviceMapping)
        .where(BlockDeviceMapping.instance_uuid == instance_uuid)
        .order_by(BlockDeviceMapping.id)
    )
    return list(rows.all())


async def find(s: AsyncSession, instance_uuid: str, volume_id: str) -> BlockDeviceMapping | None:
    found: BlockDeviceMapping | None = await s.scalar(
        select(BlockDeviceMapping).where(
            BlockDeviceMapping.instance_uuid == instance_uuid,
            BlockDeviceMapping.volume_id == volume_id,
        )
    )
    return found


async def volumes_by_instance(
    s: AsyncSession, instance_uuids: list[str]
) -> dict[str, list[tuple[str, bool]]]:
    """(volume id, delete_on_termination) of each server's volumes, in one query."""
    found: dict[str, list[tuple[str, bool]]] = {}
    if not instance_uuids:
        return found
    rows = await s.execute(
        select(
            BlockDeviceMapping.instance_uuid,
            BlockDeviceMapping.volume_id,
            BlockDeviceMapping.delete_on_termination,
        )
        .where(BlockDeviceMapping.instance_uuid.in_(instance_uuids))
        .order_by(BlockDeviceMapping.id)
    )
    for instance_uuid, volume_id, goes_with in rows:
        found.setdefault(instance_uuid, []).append((volume_id, bool(goes_with)))
    return found


def to_record(row: BlockDeviceMapping) -> BlockDevice:
    return BlockDevice(
        uuid=row.uuid,
        volume_id=row.volume_id,
        attachment_id=row.attachment_id,
        device_name=row.device_name,
        tag=row.tag,
        delete_on_termination=bool(row.delete_on_termination),
        status=row.status,
        connection_info=row.connection_info,
        boot_index=row.boot_index,
    )


async def records(s: AsyncSession, instance_uuid: str) -> tuple[BlockDevice, ...]:
    return tuple(to_record(row) for row in await of_instance(s, instance_uuid))


def new(
    instance_uuid: str,
    project_id: str,
    volume_id: str,
    device_name: str,
    *,
    tag: str | None,
    delete_on_termination: bool,
    boot_index: int | None = None,
) -> BlockDeviceMapping:
    now = time.time()
    return BlockDeviceMapping(
        uuid=str(uuid.uuid4()),
        instance_uuid=instance_uuid,
        project_id=project_id,
        volume_id=volume_id,
        device_name=device_name,
        tag=tag,
        delete_on_termination=delete_on_termination,
        boot_index=boot_index,
        status=ATTACHING,
        created_at=now,
        updated_at=now,
    )


async def change(
    s: AsyncSession, bdm_uuid: str, values: dict[str, Any], expected: list[str] | None = None
) -> bool:
    """Apply ``values`` if the row exists (and its status is one of ``expected``)."""
    unknown = set(values) - _WRITABLE
    if unknown:
        raise ValueError(f"block device fields not writable: {sorted(unknown)}")
    stmt = update(BlockDeviceMapping).where(BlockDeviceMapping.uuid == bdm_uuid)
    if expected is not None:
        stmt = stmt.where(BlockDeviceMapping.status.in_(expected))
    result = await s.execute(
        stmt.values(**values, updated_at=time.time()).execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def remove(s: AsyncSession, bdm_uuid: str) -> None:
    await s.execute(delete(BlockDeviceMapping).where(BlockDeviceMapping.uuid == bdm_uuid))
