"""Image members: the projects a shared image is offered to, and their answers."""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from nimbostack.core.db import Database
from nimbostack.core.errors import Conflict, NotFound
from nimbostack.image.db.models import Image, ImageMember
from nimbostack.image.objects.images import not_found as image_not_found


def not_found(image_id: str, member_id: str) -> NotFound:
    return NotFound(f"Member {member_id} not found for image {image_id}.")


async def add(db: Database, image_id: str, member_id: str) -> ImageMember:
    """Offer the image to a project: 409 if it already is, 404 if the image is gone.

    The image row is locked first, so an add racing a delete of the image finds it
    gone instead of tripping over the foreign key; of two racing adds of one member,
    the primary key lets one win and the other gets the 409.
    """
    now = time.time()
    member = ImageMember(
        image_id=image_id, member_id=member_id, status="pending", created_at=now, updated_at=now
    )
    try:
        async with db.session() as s:
            if await s.get(Image, image_id, with_for_update=True) is None:
                raise image_not_found(image_id)
            s.add(member)
    except IntegrityError:
        raise Conflict(f"Member {member_id} already associated with image {image_id}.") from None
    return member


async def list_for(db: Database, image_id: str, only: str | None = None) -> list[ImageMember]:
    stmt = select(ImageMember).where(ImageMember.image_id == image_id)
    if only is not None:
        stmt = stmt.where(ImageMember.member_id == only)
    async with db.session() as s:
        return list((await s.scalars(stmt.order_by(ImageMember.created_at))).all())


async def get(db: Database, image_id: str, member_id: str) -> ImageMember:
    async with db.session() as s:
        member = await s.get(ImageMember, (image_id, member_id))
    if member is None:
        raise not_found(image_id, member_id)
    return member


async def set_status(db: Database, image_id: str, member_id: str, status: str) -> ImageMember:
    async with db.session() as s:
        member = await s.get(ImageMember, (image_id, member_id))
        if member is None:
            raise not_found(image_id, member_id)
        member.status = status
        member.updated_at = time.time()
    return member


async def remove(db: Database, image_id: str, member_id: str) -> None:
    async with db.session() as s:
        result = await s.execute(
            delete(ImageMember).where(
                ImageMember.image_id == image_id, ImageMember.member_id == member_id
            )
        )
        if not getattr(result, "rowcount", 0):
            raise not_found(image_id, member_id)
