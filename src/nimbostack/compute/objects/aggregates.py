"""Host aggregates: CRUD, hosts, metadata; an ``availability_zone`` key makes one an AZ.

Hosts and metadata are JSON columns: every change reads the row FOR UPDATE and writes
it back in the same transaction, so concurrent changes to one aggregate all land.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Aggregate
from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.db import Database
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import Conflict, NotFound

AZ_KEY = "availability_zone"


async def list_all(db: Database) -> list[Aggregate]:
    async with db.session() as s:
        return list((await s.scalars(select(Aggregate).order_by(Aggregate.id))).all())


async def availability_zones(db: Database) -> set[str]:
    return {
        str(agg.metadata_[AZ_KEY])
        for agg in await list_all(db)
        if (agg.metadata_ or {}).get(AZ_KEY)
    }


async def host_zones(db: Database) -> dict[str, str]:
    """host -> the AZ its aggregates put it in (hosts in none are in the default AZ)."""
    zones: dict[str, str] = {}
    for agg in await list_all(db):
        zone = (agg.metadata_ or {}).get(AZ_KEY)
        if zone:
            for host in agg.hosts or []:
                zones[host] = str(zone)
    return zones


async def get(db: Database, ident: str) -> Aggregate:
    number = bounded_int(ident, 0, MAX_INT)
    async with db.session() as s:
        found = (
            await s.get(Aggregate, number)
            if number is not None
            else await s.scalar(select(Aggregate).where(Aggregate.uuid == ident))
        )
    if found is None:
        raise NotFound(f"Aggregate {ident} could not be found.")
    return found


async def create(db: Database, name: str, zone: str | None) -> Aggregate:
    try:
        async with db.session() as s:
            if await s.scalar(select(Aggregate).where(Aggregate.name == name)) is not None:
                raise Conflict(f"Aggregate {name} already exists.")
            agg = Aggregate(
                uuid=str(uuid.uuid4()),
                name=name,
                metadata_={AZ_KEY: zone} if zone else {},
                hosts=[],
                created_at=time.time(),
            )
            s.add(agg)
            await s.flush()
            return agg
    except IntegrityError:
        # Created by a concurrent request since the check (the name is unique).
        raise Conflict(f"Aggregate {name} already exists.") from None


async def _locked(s: AsyncSession, agg_id: int) -> Aggregate:
    agg = await get_for_update(s, Aggregate, agg_id)
    if agg is None:
        raise NotFound(f"Aggregate {agg_id} could not be found.")
    return agg


async def _edit(db: Database, agg_id: int, edit: Callable[[Aggregate], None]) -> Aggregate:
    """Apply ``edit`` to the locked row (it raises to refuse) and stamp the change."""
    async with db.session() as s:
        agg = await _locked(s, agg_id)
        edit(agg)
        agg.updated_at = time.time()
        return agg


async def update(
    db: Database, agg_id: int, *, name: str | None = None, metadata: dict[str, Any] | None = None
) -> Aggregate:
    """Rename and/or merge metadata changes (a None value removes its key)."""
    async with db.session() as s:
        agg = await _locked(s, agg_id)
        if name is not None and name != agg.name:
            clash = await s.scalar(select(Aggregate).where(Aggregate.name == name))
            if clash is not None:
                raise Conflict(f"Aggregate {name} already exists.")
            agg.name = name
        if metadata:
            agg.metadata_ = _merged(agg.metadata_, metadata)
        agg.updated_at = time.time()
        return agg


def _merged(current: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any]:
    meta = dict(current or {})
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


async def set_metadata(db: Database, agg_id: int, changes: dict[str, Any]) -> Aggregate:
    """Merge ``changes`` into the metadata: a None value removes its key."""
    return await update(db, agg_id, metadata=changes)


async def add_host(db: Database, agg_id: int, host: str) -> Aggregate:
    def edit(agg: Aggregate) -> None:
        if host in (agg.hosts or []):
            raise Conflict(f"Aggregate {agg_id} already has host {host}.")
        agg.hosts = [*(agg.hosts or []), host]

    return await _edit(db, agg_id, edit)


async def remove_host(db: Database, agg_id: int, host: str) -> Aggregate:
    def edit(agg: Aggregate) -> None:
        if host not in (agg.hosts or []):
            raise NotFound(f"Cannot remove host {host} in aggregate {agg_id}")
        agg.hosts = [h for h in agg.hosts if h != host]

    return await _edit(db, agg_id, edit)


async def remove(db: Database, agg_id: int) -> None:
    async with db.session() as s:
        agg = await _locked(s, agg_id)
        if agg.hosts:
            raise BadRequestHosts(agg_id)
        await s.delete(agg)


class BadRequestHosts(Conflict):
    """An aggregate that still has hosts cannot be deleted."""

    status = 400
    title = "Bad Request"

    def __init__(self, agg_id: int) -> None:
        super().__init__(f"Cannot remove aggregate {agg_id}: it still has hosts.")
