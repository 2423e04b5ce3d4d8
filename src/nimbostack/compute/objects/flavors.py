"""Flavors: lookup with visibility, listing, create/delete, extra specs, project access.

``snapshot`` is the dict an instance keeps of the flavor it was built or resized with
(``Instance.flavor`` and the request spec's ``flavor``); the scheduler reads it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Flavor, FlavorAccess
from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import ApiError, Conflict, NotFound

DEFAULT_FLAVORS = [
    # flavorid, name, vcpus, memory_mb, root_gb
    ("42", "m1.nano", 1, 128, 1),
    ("84", "m1.micro", 1, 192, 1),
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
]


def snapshot(flavor: Flavor) -> dict[str, Any]:
    """The flavor as an instance records it."""
    return {
        "flavorid": flavor.flavorid,
        "name": flavor.name,
        "vcpus": flavor.vcpus,
        "memory_mb": flavor.memory_mb,
        "root_gb": flavor.root_gb,
        "ephemeral_gb": flavor.ephemeral_gb,
        "swap": flavor.swap,
        "rxtx_factor": flavor.rxtx_factor,
        "description": flavor.description,
        "extra_specs": dict(flavor.extra_specs or {}),
    }


async def ensure_default_flavors(db: Database) -> None:
    """Create Nova's devstack m1.* flavors that do not exist yet (idempotent)."""
    async with db.session() as s:
        existing = set((await s.scalars(select(Flavor.name))).all())
        ids = set((await s.scalars(select(Flavor.flavorid))).all())
        for flavorid, name, vcpus, ram, disk in DEFAULT_FLAVORS:
            if name in existing or flavorid in ids:
                continue
            s.add(
                Flavor(
                    flavorid=flavorid,
                    name=name,
                    vcpus=vcpus,
                    memory_mb=ram,
                    root_gb=disk,
                    extra_specs={},
                    created_at=time.time(),
                )
            )


def _can_see(ctx: RequestContext) -> bool:
    return ctx.is_admin


async def _has_access(s: AsyncSession, flavorid: str, project_id: str | None) -> bool:
    found = await s.get(FlavorAccess, (flavorid, project_id or ""))
    return found is not None


async def get(
    s: AsyncSession, ctx: RequestContext, flavorid: str, *, for_update: bool = False
) -> Flavor:
    """The flavor if the caller may see it (public, admin, or granted access).

    ``for_update`` locks its row until the transaction ends, for a change made from
    what is read (its extra specs).
    """
    flavor = await (get_for_update(s, Flavor, flavorid) if for_update else s.get(Flavor, flavorid))
    if flavor is not None and (
        flavor.is_public or _can_see(ctx) or await _has_access(s, flavorid, ctx.project_id)
    ):
        return flavor
    raise NotFound(f"Flavor {flavorid} could not be found.")


@dataclass
class FlavorQuery:
    is_public: bool | None = True  # None: all the caller may see
    min_ram: int = 0
    min_disk: int = 0
    sort_key: str = "flavorid"
    sort_dir: str = "asc"
    limit: int | None = None
    marker: str | None = None


SORT_KEYS = {
    "flavorid": Flavor.flavorid,
    "id": Flavor.flavorid,
    "name": Flavor.name,
    "memory_mb": Flavor.memory_mb,
    "vcpus": Flavor.vcpus,
    "root_gb": Flavor.root_gb,
    "ephemeral_gb": Flavor.ephemeral_gb,
    "swap": Flavor.swap,
    "rxtx_factor": Flavor.rxtx_factor,
    "created_at": Flavor.created_at,
}


async def query(
    db: Database, ctx: RequestContext, q: FlavorQuery, marker_error: Callable[[str], ApiError]
) -> list[Flavor]:
    """One page of the flavors the caller may see; ``marker_error`` for an unknown marker."""
    stmt = select(Flavor).where(Flavor.memory_mb >= q.min_ram, Flavor.root_gb >= q.min_disk)
    if not ctx.is_admin:
        granted = select(FlavorAccess.flavorid).where(FlavorAccess.project_id == ctx.project_id)
        if q.is_public is False:
            stmt = stmt.where(Flavor.flavorid.in_(granted), Flavor.is_public.is_(False))
        else:
            stmt = stmt.where(or_(Flavor.is_public.is_(True), Flavor.flavorid.in_(granted)))
    elif q.is_public is not None:
        stmt = stmt.where(Flavor.is_public.is_(q.is_public))
    sort = [SortKey(q.sort_key, SORT_KEYS[q.sort_key], q.sort_dir != "desc")]
    page = Page(Flavor.flavorid, sort, q.limit, q.marker, marker_error=marker_error)
    async with db.reader() as s:
        return list((await s.scalars(await page.apply(s, stmt))).all())


async def create(db: Database, values: dict[str, Any]) -> Flavor:
    flavor = Flavor(**values, extra_specs={}, created_at=time.time())
    try:
        async with db.session() as s:
            clash = await s.scalar(
                select(Flavor).where(
                    or_(Flavor.flavorid == flavor.flavorid, Flavor.name == flavor.name)
                )
            )
            if clash is not None:
                if clash.flavorid == flavor.flavorid:
                    raise Conflict(f"Flavor with ID {flavor.flavorid} already exists.")
                raise Conflict(f"Flavor with name {flavor.name} already exists.")
            s.add(flavor)
    except IntegrityError:
        raise Conflict(f"Flavor with name {values['name']} already exists.") from None
    return flavor


async def remove(db: Database, flavorid: str) -> None:
    async with db.session() as s:
        flavor = await s.get(Flavor, flavorid)
        if flavor is None:
            raise NotFound(f"Flavor {flavorid} could not be found.")
        await s.execute(delete(FlavorAccess).where(FlavorAccess.flavorid == flavorid))
        await s.delete(flavor)


async def update(db: Database, ctx: RequestContext, flavorid: str, **values: Any) -> Flavor:
    async with db.session() as s:
        flavor = await get(s, ctx, flavorid)
        for key, value in values.items():
            setattr(flavor, key, value)
        return flavor


async def access_list(db: Database, flavorid: str) -> list[str]:
    async with db.session() as s:
        rows = await s.scalars(
            select(FlavorAccess.project_id).where(FlavorAccess.flavorid == flavorid)
        )
        return sorted(rows.all())


async def access_add(db: Database, flavorid: str, project_id: str) -> None:
    exists = Conflict(
        f"Flavor access already exists for flavor {flavorid} and project {project_id} combination."
    )
    try:
        async with db.session() as s:
            if await s.get(FlavorAccess, (flavorid, project_id)) is not None:
                raise exists
            s.add(FlavorAccess(flavorid=flavorid, project_id=project_id))
    except IntegrityError:
        raise exists from None  # granted by a concurrent request since the check


async def access_remove(db: Database, flavorid: str, project_id: str) -> None:
    async with db.session() as s:
        found = await s.get(FlavorAccess, (flavorid, project_id))
        if found is None:
            raise NotFound(f"Flavor access not found for {flavorid} / {project_id} combination.")
        await s.delete(found)
