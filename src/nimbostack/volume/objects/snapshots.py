"""Snapshot records: scoped lookups, guarded status changes, and lists."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.errors import NotFound
from nimbostack.volume.db.models import Snapshot, SnapshotMetadata
from nimbostack.volume.objects import paging

SORT_COLUMNS: dict[str, Any] = {
    "id": Snapshot.id,
    "name": Snapshot.name,
    "display_name": Snapshot.name,
    "status": Snapshot.status,
    "size": Snapshot.volume_size,
    "volume_id": Snapshot.volume_id,
    "created_at": Snapshot.created_at,
    "updated_at": Snapshot.updated_at,
    "project_id": Snapshot.project_id,
}


def not_found(snapshot_id: str) -> NotFound:
    return NotFound(f"Snapshot {snapshot_id} could not be found.")


async def get(s: AsyncSession, ctx: RequestContext, snapshot_id: str) -> Snapshot:
    stmt = select(Snapshot).where(Snapshot.id == snapshot_id)
    if not ctx.is_admin:
        stmt = stmt.where(Snapshot.project_id == (ctx.project_id or ""))
    found = await s.scalar(stmt)
    if found is None:
        raise not_found(snapshot_id)
    return found


async def transition(
    s: AsyncSession, snapshot_id: str, expected: Iterable[str], values: dict[str, Any]
) -> bool:
    stmt = (
        update(Snapshot)
        .where(Snapshot.id == snapshot_id, Snapshot.status.in_(list(expected)))
        .values(**values, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )
    return bool((await s.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def set_values(s: AsyncSession, snapshot_id: str, values: dict[str, Any]) -> None:
    await s.execute(
        update(Snapshot)
        .where(Snapshot.id == snapshot_id)
        .values(**values, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )


async def remove(s: AsyncSession, snapshot_id: str) -> None:
    await s.execute(delete(Snapshot).where(Snapshot.id == snapshot_id))


async def count_of_volume(s: AsyncSession, volume_id: str) -> int:
    return int(await s.scalar(select(func.count()).where(Snapshot.volume_id == volume_id)) or 0)


async def of_volume(s: AsyncSession, volume_id: str) -> list[Snapshot]:
    rows = await s.scalars(select(Snapshot).where(Snapshot.volume_id == volume_id))
    return list(rows.all())


async def list_page(
    s: AsyncSession,
    *,
    project_id: str | None,
    exact: dict[str, Any],
    metadata: dict[str, str],
    keys: list[paging.SortKey],
    marker: str | None,
    limit: int,
    with_count: bool,
) -> tuple[list[Snapshot], int | None]:
    columns: dict[str, Any] = {
        "name": Snapshot.name,
        "status": Snapshot.status,
        "volume_id": Snapshot.volume_id,
        "use_quota": Snapshot.use_quota,
    }
    where: list[ColumnElement[bool]] = [columns[k] == v for k, v in exact.items()]
    scope = Snapshot.project_id == project_id if project_id is not None else None
    if scope is not None:
        where.append(scope)
    for key, value in metadata.items():
        where.append(
            exists().where(
                SnapshotMetadata.snapshot_id == Snapshot.id,
                SnapshotMetadata.key == key,
                SnapshotMetadata.value == value,
            )
        )
    stmt = select(Snapshot).where(*where)
    rows = await paging.page(
        s, stmt, keys=keys, id_col=Snapshot.id, marker=marker, limit=limit, scope=scope
    )
    total = await paging.count(s, stmt) if with_count else None
    return rows, total


async def metadata_of(s: AsyncSession, ids: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    if ids:
        rows = await s.scalars(
            select(SnapshotMetadata).where(SnapshotMetadata.snapshot_id.in_(ids))
        )
        for item in rows:
            found.setdefault(item.snapshot_id, {})[item.key] = item.value
    return found
