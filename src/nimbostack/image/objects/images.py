"""Image records: load with visibility rules, create, update, status transitions, delete.

A change computed from what was read (a PATCH, a tag added or removed) runs in one
transaction that first calls ``lock``: concurrent changes of one image take turns
and each sees the one before it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, func, select, update

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import NotFound
from nimbostack.image.db.models import Image, ImageMember, ImageTag, ImageTask

# Statuses whose data counts against the owner's storage quota.
_STORED = ("active", "deactivated", "saving", "importing")


def not_found(image_id: str) -> NotFound:
    return NotFound(f"No image found with ID {image_id}")


def can_see(image: Image, ctx: RequestContext, member: ImageMember | None) -> bool:
    """Glance's visibility rule: who may read this image at all."""
    if ctx.is_admin or image.visibility in ("public", "community"):
        return True
    if image.owner is not None and image.owner == ctx.project_id:
        return True
    return image.visibility == "shared" and member is not None


async def load(db: Database, ctx: RequestContext, image_id: str) -> Image:
    """The image if the caller may see it, else NotFound (never Forbidden)."""
    async with db.session() as s:
        image = await s.get(Image, image_id)
        member = None
        if image is not None and ctx.project_id:
            member = await s.get(ImageMember, (image_id, ctx.project_id))
    if image is None or not can_see(image, ctx, member):
        raise not_found(image_id)
    return image


async def lock(db: Database, image_id: str) -> None:
    """Lock the image's row until the transaction of the caller's ``db.session()`` ends.

    Called inside that session: the helpers here open ``db.session()`` too and join
    it, so they read and write under the lock.
    """
    async with db.session() as s:
        await get_for_update(s, Image, image_id)


async def tags_of(db: Database, image_ids: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {i: [] for i in image_ids}
    if not image_ids:
        return result
    async with db.session() as s:
        rows = await s.execute(
            select(ImageTag.image_id, ImageTag.value)
            .where(ImageTag.image_id.in_(image_ids))
            .order_by(ImageTag.value)
        )
        for image_id, value in rows:
            result[image_id].append(value)
    return result


async def create(db: Database, values: dict[str, Any], tags: list[str]) -> Image:
    now = time.time()
    image = Image(status="queued", created_at=now, updated_at=now, **values)
    async with db.session() as s:
        s.add(image)
        s.add_all(ImageTag(image_id=image.id, value=tag) for tag in tags)
    return image


async def exists(db: Database, image_id: str) -> bool:
    async with db.session() as s:
        return await s.get(Image, image_id) is not None


async def save(db: Database, image_id: str, values: dict[str, Any], tags: list[str] | None) -> None:
    """Write changed attributes (and the whole tag set when ``tags`` is given)."""
    async with db.session() as s:
        values = {**values, "updated_at": time.time()}
        await s.execute(update(Image).where(Image.id == image_id).values(**values))
        if tags is not None:
            await s.execute(delete(ImageTag).where(ImageTag.image_id == image_id))
            s.add_all(ImageTag(image_id=image_id, value=tag) for tag in tags)


async def transition(db: Database, image_id: str, sources: tuple[str, ...], **values: Any) -> bool:
    """Update the image only if its status is one of ``sources``; False when it is not.

    The status check and the write are one UPDATE, so two uploads racing for one
    queued image cannot both win.
    """
    async with db.session() as s:
        result = await s.execute(
            update(Image)
            .where(Image.id == image_id, Image.status.in_(sources))
            .values(updated_at=time.time(), **values)
        )
        return bool(getattr(result, "rowcount", 0))


async def remove(db: Database, image_id: str) -> None:
    async with db.session() as s:
        await s.execute(delete(ImageTag).where(ImageTag.image_id == image_id))
        await s.execute(delete(ImageMember).where(ImageMember.image_id == image_id))
        await s.execute(delete(ImageTask).where(ImageTask.image_id == image_id))
        await s.execute(delete(Image).where(Image.id == image_id))


async def used_bytes(db: Database, project_id: str | None) -> int:
    """Bytes of image data the project stores (what its quota is measured against)."""
    async with db.session() as s:
        total = await s.scalar(
            select(func.coalesce(func.sum(Image.size), 0)).where(
                Image.owner == project_id, Image.status.in_(_STORED)
            )
        )
    return int(total or 0)
