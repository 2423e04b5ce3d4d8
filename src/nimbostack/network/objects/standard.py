"""Standard attributes: new-row stamps, revision bumps (with If-Match), tags, timestamps.

Every update of a resource bumps its ``revision_number`` in the same UPDATE that checks
an ``If-Match: revision_number=N`` constraint, so a stale writer gets 412 and never
overwrites a newer revision.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.timeutil import iso
from nimbostack.network.db.models import Owned, StandardAttrs, Tag
from nimbostack.network.errors import RevisionNumberConstraintFailed


def new_id() -> str:
    return str(uuid.uuid4())


def stamp(**values: Any) -> dict[str, Any]:
    """Column values of a new row: the given ones plus its standard attributes."""
    now = time.time()
    values.setdefault("description", "")
    return {**values, "revision_number": 0, "created_at": now, "updated_at": now}


async def bump(
    s: AsyncSession,
    model: type[Owned] | type[StandardAttrs],
    object_id: str,
    expected: int | None = None,
    **values: Any,
) -> bool:
    """Apply ``values`` and bump the revision; False if the row is gone.

    With ``expected`` (an If-Match constraint) a row at another revision is left
    alone and 412 ``RevisionNumberConstraintFailed`` is raised.
    """
    key = model.id  # type: ignore[union-attr]
    stmt = update(model).where(key == object_id)
    if expected is not None:
        stmt = stmt.where(model.revision_number == expected)
    result = await s.execute(
        stmt.values(
            **values, revision_number=model.revision_number + 1, updated_at=time.time()
        ).execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 1:
        return True
    if expected is None:
        return False
    current = await s.scalar(select(model.revision_number).where(key == object_id))
    if current is None:
        return False
    raise RevisionNumberConstraintFailed(expected=expected, current=current)


def standard_view(row: Any) -> dict[str, Any]:
    """``description``, timestamps and revision of a row (or a row-like object)."""
    return {
        "description": row.description,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "revision_number": row.revision_number,
    }


# -- tags ------------------------------------------------------------------------------
async def tags_of(s: AsyncSession, resource_type: str, ids: Iterable[str]) -> dict[str, list[str]]:
    """Each resource's tags, sorted, in one query."""
    wanted = list(ids)
    found: dict[str, list[str]] = {i: [] for i in wanted}
    if not wanted:
        return found
    rows = await s.execute(
        select(Tag.resource_id, Tag.tag)
        .where(Tag.resource_type == resource_type, Tag.resource_id.in_(wanted))
        .order_by(Tag.tag)
    )
    for resource_id, tag in rows:
        found[resource_id].append(tag)
    return found


async def set_tags(s: AsyncSession, resource_type: str, resource_id: str, tags: list[str]) -> None:
    await clear_tags(s, resource_type, [resource_id])
    s.add_all(Tag(resource_type=resource_type, resource_id=resource_id, tag=t) for t in set(tags))
    await s.flush()


async def clear_tags(s: AsyncSession, resource_type: str, ids: list[str]) -> None:
    await s.execute(delete(Tag).where(Tag.resource_type == resource_type, Tag.resource_id.in_(ids)))
