"""Image records: load with visibility rules, create, update, status transitions, delete.

Concurrency: every write that depends on what it read happens inside one write
transaction on the image's row, locked (``FOR UPDATE``; SQLite's write transaction is
already exclusive): ``modify`` hands the current row and tags to a function that
computes the change, ``remove`` deletes only a row still there and unprotected, and
``claim`` and ``transition`` check the status they replace. Two racing requests thus
see each other's writes instead of both succeeding on what they read before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.errors import Conflict, Forbidden, NotFound
from nimbostack.image.db.models import Image, ImageMember, ImageTag, ImageTask

# (current row, current tags) -> (attributes to write, the new tag set or None to keep it)
Change = Callable[[Image, list[str]], tuple[dict[str, Any], list[str] | None]]

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
    """Record a new queued image; 409 when its id is taken (the primary key decides)."""
    now = time.time()
    image = Image(status="queued", created_at=now, updated_at=now, **values)
    try:
        async with db.session() as s:
            s.add(image)
            s.add_all(ImageTag(image_id=image.id, value=tag) for tag in tags)
    except IntegrityError:
        raise Conflict(f"Image with identifier {image.id} already exists!") from None
    return image


async def _locked(s: AsyncSession, image_id: str) -> Image:
    image = await s.get(Image, image_id, with_for_update=True)
    if image is None:
        raise not_found(image_id)
    return image


async def _tags(s: AsyncSession, image_id: str) -> list[str]:
    rows = await s.scalars(
        select(ImageTag.value).where(ImageTag.image_id == image_id).order_by(ImageTag.value)
    )
    return list(rows)


async def modify(db: Database, image_id: str, change: Change) -> None:
    """Apply ``change`` to the current row and tags, in one write transaction.

    ``change`` runs with the row locked and may raise to refuse (nothing is written);
    it must not await anything.
    """
    async with db.session() as s:
        image = await _locked(s, image_id)
        current = await _tags(s, image_id)
        values, tags = change(image, current)
        if not values and tags is None:
            return
        values = {**values, "updated_at": time.time()}
        await s.execute(update(Image).where(Image.id == image_id).values(**values))
        if tags is not None:
            await _write_tags(s, image_id, current, tags)


async def _write_tags(s: AsyncSession, image_id: str, current: list[str], tags: list[str]) -> None:
    gone = [tag for tag in current if tag not in tags]
    if gone:
        await s.execute(
            delete(ImageTag).where(ImageTag.image_id == image_id, ImageTag.value.in_(gone))
        )
    s.add_all(ImageTag(image_id=image_id, value=tag) for tag in tags if tag not in current)


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


async def claim(db: Database, image_id: str, sources: tuple[str, ...], busy: str) -> Image | None:
    """Move the image from one of ``sources`` to ``busy``; the row as claimed, else None.

    What the data will be checked against (disk_format) is read in the same
    transaction, and no longer changes once the image left ``queued``.
    """
    async with db.session() as s:
        image = await s.get(Image, image_id, with_for_update=True)
        if image is None or image.status not in sources:
            return None
        image.status, image.updated_at = busy, time.time()
    return image


async def remove(db: Database, image_id: str) -> str | None:
    """Delete the record if it is still there and unprotected; returns its data's location.

    Of two racing deletes one finds the row gone (NotFound), so the data is deleted once;
    the location is read under the lock, so data committed since the caller's read is
    not left behind.
    """
    async with db.session() as s:
        image = await _locked(s, image_id)
        if image.protected:
            raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
        location = image.location
        await s.execute(delete(ImageTag).where(ImageTag.image_id == image_id))
        await s.execute(delete(ImageMember).where(ImageMember.image_id == image_id))
        await s.execute(delete(ImageTask).where(ImageTask.image_id == image_id))
        await s.execute(delete(Image).where(Image.id == image_id))
    return location


async def used_bytes(db: Database, project_id: str | None) -> int:
    """Bytes of image data the project stores (what its quota is measured against)."""
    async with db.session() as s:
        total = await s.scalar(
            select(func.coalesce(func.sum(Image.size), 0)).where(
                Image.owner == project_id, Image.status.in_(_STORED)
            )
        )
    return int(total or 0)
