"""Service rows: one per compute process (nova-compute, nova-scheduler, nova-conductor)."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Service
from nimbostack.core.db import Database

COMPUTE = "nova-compute"
SCHEDULER = "nova-scheduler"
CONDUCTOR = "nova-conductor"


async def heartbeat(session: AsyncSession, host: str, binary: str, topic: str) -> Service:
    """Record that ``binary`` on ``host`` is alive, creating its row on first contact."""
    now = time.time()
    row = await session.scalar(
        select(Service).where(Service.host == host, Service.binary == binary)
    )
    if row is None:
        next_id = (await session.scalar(select(func.max(Service.id)))) or 0
        row = Service(
            uuid=str(uuid.uuid4()),
            id=next_id + 1,
            host=host,
            binary=binary,
            topic=topic,
            created_at=now,
        )
        session.add(row)
    row.last_seen_up = now
    row.updated_at = now
    await session.flush()
    return row


async def beat(db: Database, host: str, binary: str, topic: str) -> None:
    """A heartbeat in its own transaction, retried when two new rows race for an id."""
    for attempt in range(5):
        try:
            async with db.session() as session:
                await heartbeat(session, host, binary, topic)
            return
        except IntegrityError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


def is_up(service: Service, down_after: float, now: float | None = None) -> bool:
    """Up when not forced down and heard from within ``down_after`` seconds."""
    return _alive(service.forced_down, service.last_seen_up, down_after, now or time.time())


def _alive(forced_down: bool, last_seen_up: float | None, down_after: float, now: float) -> bool:
    return not forced_down and last_seen_up is not None and now - last_seen_up <= down_after


async def health_by_host(
    session: AsyncSession, down_after: float, now: float
) -> dict[str, tuple[bool, bool]]:
    """host → (up, disabled) of every compute service, reading only those columns."""
    rows = await session.execute(
        select(Service.host, Service.forced_down, Service.last_seen_up, Service.disabled).where(
            Service.binary == COMPUTE
        )
    )
    return {
        host: (_alive(forced, seen, down_after, now), bool(disabled))
        for host, forced, seen, disabled in rows.all()
    }


async def by_host(session: AsyncSession, binary: str = COMPUTE) -> dict[str, Service]:
    rows = await session.scalars(select(Service).where(Service.binary == binary))
    return {row.host: row for row in rows}
