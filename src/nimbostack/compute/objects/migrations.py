"""Migration records: resizes, cold and live migrations and evacuations of instances.

A migration's uuid is also a placement consumer: while a move is in flight it holds the
instance's allocation on the source host, as in Nova, so confirming deletes it and
reverting gives it back to the instance.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Instance, Migration

RESIZE = "resize"
MIGRATION = "migration"
LIVE = "live-migration"
EVACUATION = "evacuation"


async def create(
    session: AsyncSession,
    instance: Instance,
    *,
    migration_type: str,
    status: str,
    new_flavor_id: str | None = None,
) -> Migration:
    record = Migration(
        uuid=str(uuid.uuid4()),
        instance_uuid=instance.uuid,
        migration_type=migration_type,
        status=status,
        source_compute=instance.host,
        source_node=instance.node,
        old_flavor_id=str(instance.flavor.get("flavorid", "")) or None,
        new_flavor_id=new_flavor_id or str(instance.flavor.get("flavorid", "")) or None,
        project_id=instance.project_id,
        user_id=instance.user_id,
        created_at=time.time(),
    )
    session.add(record)
    await session.flush()
    return record


async def get(session: AsyncSession, migration_uuid: str) -> Migration | None:
    found: Migration | None = await session.scalar(
        select(Migration).where(Migration.uuid == migration_uuid)
    )
    return found


async def in_progress(
    session: AsyncSession, instance_uuid: str, statuses: tuple[str, ...] = ("finished",)
) -> Migration | None:
    """The instance's newest migration in one of ``statuses`` (``finished`` = awaiting
    confirm or revert)."""
    found: Migration | None = await session.scalar(
        select(Migration)
        .where(Migration.instance_uuid == instance_uuid, Migration.status.in_(statuses))
        .order_by(Migration.id.desc())
        .limit(1)
    )
    return found


def update(record: Migration, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key not in {"status", "dest_compute", "dest_node", "source_compute", "source_node"}:
            raise ValueError(f"migration field {key!r} cannot be updated")
        setattr(record, key, value)
    record.updated_at = time.time()


def to_dict(record: Migration) -> dict[str, Any]:
    return {c.name: getattr(record, c.name) for c in Migration.__table__.columns}
