"""Host aggregates: CRUD, hosts, metadata; an ``availability_zone`` key makes one an AZ."""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select

from nimbostack.compute.db.models import Aggregate
from nimbostack.core.api.params import bounded_int
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.db import Database
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


async def change(db: Database, agg_id: int, **values: Any) -> Aggregate:
    """Update name/metadata/hosts of one aggregate (whole values, already merged)."""
    async with db.session() as s:
        agg = await s.get(Aggregate, agg_id)
        if agg is None:
            raise NotFound(f"Aggregate {agg_id} could not be found.")
        if "name" in values and values["name"] != agg.name:
            clash = await s.scalar(select(Aggregate).where(Aggregate.name == values["name"]))
            if clash is not None:
                raise Conflict(f"Aggregate {values['name']} already exists.")
        for key, value in values.items():
            setattr(agg, "metadata_" if key == "metadata" else key, value)
        agg.updated_at = time.time()
        return agg


async def remove(db: Database, agg_id: int) -> None:
    async with db.session() as s:
        agg = await s.get(Aggregate, agg_id)
        if agg is None:
            raise NotFound(f"Aggregate {agg_id} could not be found.")
        if agg.hosts:
            raise BadRequestHosts(agg_id)
        await s.delete(agg)


class BadRequestHosts(Conflict):
    """An aggregate that still has hosts cannot be deleted."""

    status = 400
    title = "Bad Request"

    def __init__(self, agg_id: int) -> None:
        super().__init__(f"Cannot remove aggregate {agg_id}: it still has hosts.")
