"""Block storage services (``os-services``): one row per process and host, with heartbeats."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.db import Database
from nimbostack.volume.db.models import Service

SCHEDULER = "cinder-scheduler"
VOLUME = "cinder-volume"
BACKUP = "cinder-backup"


async def heartbeat(
    db: Database,
    *,
    host: str,
    binary: str,
    topic: str,
    zone: str,
    capabilities: dict[str, Any] | None = None,
) -> str:
    """Record that the process is alive (creating its row the first time); its uuid."""
    now = time.time()
    values: dict[str, Any] = {"updated_at": now, "availability_zone": zone, "topic": topic}
    if capabilities is not None:
        values["capabilities"] = capabilities
        values["backend_state"] = "up"
    async with db.session() as s:
        stmt = update(Service).where(Service.host == host, Service.binary == binary)
        if (await s.execute(stmt.values(**values))).rowcount:  # type: ignore[attr-defined]
            return str(await s.scalar(_uuid_of(host, binary)))
    service_uuid = str(uuid.uuid4())
    try:
        async with db.session() as s:
            s.add(Service(uuid=service_uuid, host=host, binary=binary, created_at=now, **values))
    except IntegrityError:  # a twin process registered it meanwhile
        async with db.reader() as s:
            return str(await s.scalar(_uuid_of(host, binary)))
    return service_uuid


def _uuid_of(host: str, binary: str) -> Any:
    return select(Service.uuid).where(Service.host == host, Service.binary == binary)


def is_up(service: Service, down_time: float, now: float | None = None) -> bool:
    last = service.updated_at or service.created_at
    return (now or time.time()) - last <= down_time


async def listing(s: AsyncSession, *, host: str | None, binary: str | None) -> list[Service]:
    stmt = select(Service).order_by(Service.id)
    if host:
        stmt = stmt.where(Service.host == host)
    if binary:
        stmt = stmt.where(Service.binary == binary)
    return list((await s.scalars(stmt)).all())


async def set_disabled(
    s: AsyncSession, host: str, binary: str, disabled: bool, reason: str | None
) -> Service | None:
    found = await s.scalar(select(Service).where(Service.host == host, Service.binary == binary))
    if found is not None:
        found.disabled = disabled
        found.disabled_reason = reason if disabled else None
        found.updated_at = found.updated_at  # a toggle is no heartbeat
    return found


async def disabled_backends(s: AsyncSession) -> set[str]:
    """``host@backend`` of volume services an operator disabled (skipped by scheduling)."""
    rows = await s.scalars(
        select(Service.host).where(Service.binary == VOLUME, Service.disabled.is_(True))
    )
    return set(rows.all())
