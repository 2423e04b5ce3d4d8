"""Volume records: lookups scoped to the caller, guarded status changes, and updates.

Concurrency: every status change is one conditional UPDATE (``WHERE id = ? AND
status IN (...)``), so of two racing requests exactly one matches the row and wins;
the loser sees no row changed and answers with the current status. Nothing reads a
status and then writes it in a second statement.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.errors import NotFound
from nimbostack.volume.db.models import (
    Attachment,
    Volume,
    VolumeImageMetadata,
    VolumeMetadata,
    VolumeType,
)


def not_found(volume_id: str) -> NotFound:
    return NotFound(f"Volume {volume_id} could not be found.")


def visible(ctx: RequestContext) -> ColumnElement[bool] | None:
    """The condition limiting volumes to the caller's project (None: an admin sees all)."""
    if ctx.is_admin:
        return None
    return Volume.project_id == (ctx.project_id or "")


async def get(s: AsyncSession, ctx: RequestContext, volume_id: str) -> Volume:
    """The volume if the caller may see it, else NotFound (another project's is hidden)."""
    stmt = select(Volume).where(Volume.id == volume_id)
    scope = visible(ctx)
    if scope is not None:
        stmt = stmt.where(scope)
    found = await s.scalar(stmt)
    if found is None:
        raise not_found(volume_id)
    return found


async def get_any(s: AsyncSession, volume_id: str) -> Volume | None:
    """The volume whoever owns it (for the managers and internal checks)."""
    return await s.get(Volume, volume_id)


async def find(db: Database, ctx: RequestContext, volume_id: str) -> Volume:
    async with db.reader() as s:
        return await get(s, ctx, volume_id)


async def transition(
    s: AsyncSession,
    volume_id: str,
    expected: Iterable[str],
    values: dict[str, Any],
    *,
    where: Iterable[ColumnElement[bool]] = (),
) -> bool:
    """Set ``values`` if the volume's status is one of ``expected``; True if it was."""
    stmt = (
        update(Volume)
        .where(Volume.id == volume_id, Volume.status.in_(list(expected)), *where)
        .values(**values, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )
    result = await s.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def set_values(s: AsyncSession, volume_id: str, values: dict[str, Any]) -> None:
    """Set ``values`` whatever the status (managers recording an outcome)."""
    stmt = (
        update(Volume)
        .where(Volume.id == volume_id)
        .values(**values, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )
    await s.execute(stmt)


async def remove(s: AsyncSession, volume_id: str) -> None:
    """Delete the record and what hangs off it (metadata, attachments, transfers)."""
    await s.execute(delete(Volume).where(Volume.id == volume_id))


# -- what a view shows beside the row -------------------------------------------------
@dataclass
class Extras:
    """What the API shows of a volume beside its row, loaded for a page at once."""

    type_names: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    image_metadata: dict[str, dict[str, str]] = field(default_factory=dict)
    attachments: dict[str, list[Attachment]] = field(default_factory=dict)


async def extras(s: AsyncSession, volumes: list[Volume]) -> Extras:
    ids = [v.id for v in volumes]
    found = Extras()
    if not ids:
        return found
    type_ids = {v.volume_type_id for v in volumes}
    rows = await s.execute(
        select(VolumeType.id, VolumeType.name).where(VolumeType.id.in_(type_ids))
    )
    found.type_names = {tid: name for tid, name in rows.all()}
    meta = await s.execute(select(VolumeMetadata).where(VolumeMetadata.volume_id.in_(ids)))
    for item in meta.scalars():
        found.metadata.setdefault(item.volume_id, {})[item.key] = item.value
    image = await s.execute(
        select(VolumeImageMetadata).where(VolumeImageMetadata.volume_id.in_(ids))
    )
    for entry in image.scalars():
        found.image_metadata.setdefault(entry.volume_id, {})[entry.key] = entry.value
    attached = await s.execute(
        select(Attachment).where(Attachment.volume_id.in_(ids)).order_by(Attachment.created_at)
    )
    for att in attached.scalars():
        found.attachments.setdefault(att.volume_id, []).append(att)
    return found
