"""Instance faults: why an instance went to ERROR (the ``fault`` of a server)."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import InstanceFault

NO_VALID_HOST = "No valid host was found. "


async def record(
    session: AsyncSession,
    instance_uuid: str,
    *,
    code: int,
    message: str,
    host: str | None = None,
    details: str | None = None,
) -> InstanceFault:
    fault = InstanceFault(
        instance_uuid=instance_uuid,
        code=code,
        message=message[:255],
        details=details,
        host=host,
        created_at=time.time(),
    )
    session.add(fault)
    await session.flush()
    return fault


async def latest(session: AsyncSession, instance_uuid: str) -> InstanceFault | None:
    """The newest fault of an instance (what the API shows)."""
    found: InstanceFault | None = await session.scalar(
        select(InstanceFault)
        .where(InstanceFault.instance_uuid == instance_uuid)
        .order_by(InstanceFault.id.desc())
        .limit(1)
    )
    return found
