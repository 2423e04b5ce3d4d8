"""Resource classes: the standard ones and operator-defined CUSTOM_ ones."""

from __future__ import annotations

import time

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.placement.db.models import Allocation, Inventory, ResourceClass
from nimbostack.placement.objects import names
from nimbostack.placement.objects.providers import DUPLICATE_NAME


async def list_names(s: AsyncSession) -> list[str]:
    return list((await s.scalars(select(ResourceClass.name).order_by(ResourceClass.id))).all())


async def get_id(s: AsyncSession, name: str) -> int:
    found = await s.scalar(select(ResourceClass.id).where(ResourceClass.name == name))
    if found is None:
        raise NotFound(f"No such resource class {name}.")
    return found


async def create(s: AsyncSession, name: str, *, exist_ok: bool) -> bool:
    """Create a CUSTOM_ class; False when it existed (an error unless ``exist_ok``)."""
    names.check_custom(name, "resource class name")
    if await s.scalar(select(ResourceClass.id).where(ResourceClass.name == name)) is None:
        now = time.time()
        try:
            async with s.begin_nested():
                s.add(ResourceClass(name=name, created_at=now, updated_at=now))
            return True
        except IntegrityError:
            pass  # created by a concurrent request since the check
    if exist_ok:
        return False
    raise Conflict(f"Conflicting resource class already exists: {name}", code=DUPLICATE_NAME)


async def _in_use(s: AsyncSession, rc_id: int) -> bool:
    inv = await s.scalar(select(exists().where(Inventory.resource_class_id == rc_id)))
    alloc = await s.scalar(select(exists().where(Allocation.resource_class_id == rc_id)))
    return bool(inv or alloc)


def _refuse_standard(name: str, verb: str) -> None:
    if name in names.STANDARD_CLASSES:
        raise BadRequest(f"Cannot {verb} standard resource class {name}.")


async def rename(s: AsyncSession, old: str, new: str) -> None:
    rc_id = await get_id(s, old)
    _refuse_standard(old, "update")
    names.check_custom(new, "resource class name")
    if await s.scalar(select(ResourceClass.id).where(ResourceClass.name == new)):
        raise Conflict(f"Resource class already exists: {new}", code=DUPLICATE_NAME)
    await s.execute(
        update(ResourceClass)
        .where(ResourceClass.id == rc_id)
        .values(name=new, updated_at=time.time())
    )


async def delete_class(s: AsyncSession, name: str) -> None:
    rc_id = await get_id(s, name)
    _refuse_standard(name, "delete")
    if await _in_use(s, rc_id):
        raise Conflict(f"Unable to delete resource class {name}: it is in use by inventories.")
    await s.execute(delete(ResourceClass).where(ResourceClass.id == rc_id))
