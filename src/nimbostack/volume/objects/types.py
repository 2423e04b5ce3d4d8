"""Volume types: lookup by id or name with private access, the default type, and writes."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.volume.db.models import Volume, VolumeType, VolumeTypeProject
from nimbostack.volume.messages import TypeSpec
from nimbostack.volume.objects import keyvalues

DEFAULT_TYPE_DESCRIPTION = "Default Volume Type"


def _not_found(key: str) -> NotFound:
    return NotFound(f"Volume type {key} could not be found.")


def accessible(ctx: RequestContext) -> ColumnElement[bool] | None:
    """Types the caller may use: public ones and private ones shared with its project."""
    if ctx.is_admin:
        return None
    shared = exists().where(
        VolumeTypeProject.type_id == VolumeType.id,
        VolumeTypeProject.project_id == (ctx.project_id or ""),
    )
    return or_(VolumeType.is_public.is_(True), shared)


async def get(s: AsyncSession, ctx: RequestContext | None, key: str) -> VolumeType:
    """The type with this id (or else name), if the caller may use it."""
    stmt = select(VolumeType).where(or_(VolumeType.id == key, VolumeType.name == key))
    scope = accessible(ctx) if ctx is not None else None
    if scope is not None:
        stmt = stmt.where(scope)
    rows = list((await s.scalars(stmt)).all())
    by_id = [t for t in rows if t.id == key]
    found = by_id[0] if by_id else (rows[0] if rows else None)
    if found is None:
        raise _not_found(key)
    return found


async def get_by_id(s: AsyncSession, type_id: str) -> VolumeType:
    found = await s.get(VolumeType, type_id)
    if found is None:
        raise _not_found(type_id)
    return found


async def spec_of(s: AsyncSession, vtype: VolumeType) -> TypeSpec:
    specs = await keyvalues.read(s, keyvalues.EXTRA_SPECS, vtype.id)
    return TypeSpec(id=vtype.id, name=vtype.name, extra_specs=specs)


async def ensure_default(db: Database, name: str) -> None:
    """Create the configured default type if it does not exist (racing starts are fine)."""
    async with db.reader() as s:
        if await s.scalar(select(VolumeType.id).where(VolumeType.name == name)):
            return
    try:
        async with db.session() as s:
            s.add(
                VolumeType(
                    id=str(uuid.uuid4()),
                    name=name,
                    description=DEFAULT_TYPE_DESCRIPTION,
                    is_public=True,
                    created_at=time.time(),
                )
            )
    except IntegrityError:
        return  # another process made it first


async def default(s: AsyncSession, name: str) -> VolumeType:
    found = await s.scalar(select(VolumeType).where(VolumeType.name == name))
    if found is None:
        raise BadRequest(f"The default volume type {name} does not exist.")
    return found


async def create(
    s: AsyncSession,
    *,
    name: str,
    description: str | None,
    is_public: bool,
    extra_specs: dict[str, str],
) -> VolumeType:
    if await s.scalar(select(VolumeType.id).where(VolumeType.name == name)):
        raise Conflict(f"Volume Type {name} already exists.")
    vtype = VolumeType(
        id=str(uuid.uuid4()),
        name=name,
        description=description,
        is_public=is_public,
        created_at=time.time(),
    )
    s.add(vtype)
    await s.flush()
    await keyvalues.replace(s, keyvalues.EXTRA_SPECS, vtype.id, extra_specs)
    return vtype


async def rename_check(s: AsyncSession, vtype: VolumeType, name: str) -> None:
    clash = await s.scalar(
        select(VolumeType.id).where(VolumeType.name == name, VolumeType.id != vtype.id)
    )
    if clash:
        raise Conflict(f"Volume Type {name} already exists.")


async def in_use(s: AsyncSession, type_id: str) -> bool:
    used = await s.scalar(select(func.count()).where(Volume.volume_type_id == type_id))
    return bool(used)


async def projects(s: AsyncSession, type_id: str) -> list[str]:
    rows = await s.scalars(
        select(VolumeTypeProject.project_id).where(VolumeTypeProject.type_id == type_id)
    )
    return list(rows.all())


async def add_project(s: AsyncSession, type_id: str, project_id: str) -> None:
    if await s.get(VolumeTypeProject, (type_id, project_id)) is not None:
        raise Conflict(
            f"Volume type access for {type_id} / {project_id} combination already exists."
        )
    s.add(VolumeTypeProject(type_id=type_id, project_id=project_id))


async def remove_project(s: AsyncSession, type_id: str, project_id: str) -> None:
    found = await s.get(VolumeTypeProject, (type_id, project_id))
    if found is None:
        raise NotFound(f"Volume type access not found for {type_id} / {project_id} combination.")
    await s.delete(found)
