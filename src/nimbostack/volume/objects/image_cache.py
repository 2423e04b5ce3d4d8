"""The image-volume cache's records: which image each backend holds converted already."""

from __future__ import annotations

import time

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.volume.db.models import ImageCacheEntry


async def find(s: AsyncSession, host: str, image_id: str) -> ImageCacheEntry | None:
    return await s.scalar(
        select(ImageCacheEntry).where(
            ImageCacheEntry.host == host, ImageCacheEntry.image_id == image_id
        )
    )


async def touch(s: AsyncSession, entry_id: str) -> None:
    await s.execute(
        update(ImageCacheEntry)
        .where(ImageCacheEntry.id == entry_id)
        .values(last_used=time.time())
        .execution_options(synchronize_session=False)
    )


async def remove(s: AsyncSession, entry_id: str) -> None:
    await s.execute(delete(ImageCacheEntry).where(ImageCacheEntry.id == entry_id))


async def of_host(s: AsyncSession, host: str) -> list[ImageCacheEntry]:
    rows = await s.scalars(
        select(ImageCacheEntry)
        .where(ImageCacheEntry.host == host)
        .order_by(ImageCacheEntry.last_used.desc())
    )
    return list(rows.all())


async def size_of_host(s: AsyncSession, host: str) -> int:
    total = await s.scalar(
        select(func.coalesce(func.sum(ImageCacheEntry.size), 0)).where(ImageCacheEntry.host == host)
    )
    return int(total or 0)
