"""Backup records: scoped lookups, guarded status changes, the incremental chain, lists."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.context import RequestContext
from nimbostack.core.errors import NotFound
from nimbostack.volume import states
from nimbostack.volume.db.models import Backup
from nimbostack.volume.objects import paging

SORT_COLUMNS: dict[str, Any] = {
    "id": Backup.id,
    "name": Backup.name,
    "display_name": Backup.name,
    "status": Backup.status,
    "size": Backup.size,
    "volume_id": Backup.volume_id,
    "created_at": Backup.created_at,
    "updated_at": Backup.updated_at,
    "project_id": Backup.project_id,
}


def not_found(backup_id: str) -> NotFound:
    return NotFound(f"Backup {backup_id} could not be found.")


async def get(s: AsyncSession, ctx: RequestContext, backup_id: str) -> Backup:
    stmt = select(Backup).where(Backup.id == backup_id)
    if not ctx.is_admin:
        stmt = stmt.where(Backup.project_id == (ctx.project_id or ""))
    found = await s.scalar(stmt)
    if found is None:
        raise not_found(backup_id)
    return found


async def transition(
    s: AsyncSession, backup_id: str, expected: Iterable[str], values: dict[str, Any]
) -> bool:
    stmt = (
        update(Backup)
        .where(Backup.id == backup_id, Backup.status.in_(list(expected)))
        .values(**values, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )
    return bool((await s.execute(stmt)).rowcount)  # type: ignore[attr-defined]


async def set_values(s: AsyncSession, backup_id: str, values: dict[str, Any]) -> None:
    await s.execute(
        update(Backup)
        .where(Backup.id == backup_id)
        .values(**values, updated_at=time.time())
        .execution_options(synchronize_session=False)
    )


async def remove(s: AsyncSession, backup_id: str) -> None:
    await s.execute(delete(Backup).where(Backup.id == backup_id))


async def dependents(s: AsyncSession, ids: list[str]) -> dict[str, int]:
    """How many incremental backups name each of ``ids`` as their parent."""
    if not ids:
        return {}
    rows = await s.execute(
        select(Backup.parent_id, func.count())
        .where(Backup.parent_id.in_(ids))
        .group_by(Backup.parent_id)
    )
    return {str(parent): int(n) for parent, n in rows.all()}


async def latest_of_volume(s: AsyncSession, volume_id: str) -> Backup | None:
    """The newest available backup of the volume: the parent of an incremental one."""
    return await s.scalar(
        select(Backup)
        .where(Backup.volume_id == volume_id, Backup.status == states.BACKUP_AVAILABLE)
        .order_by(Backup.data_timestamp.desc(), Backup.created_at.desc())
        .limit(1)
    )


async def chain(s: AsyncSession, backup: Backup) -> list[Backup]:
    """The backup and its ancestors, newest first."""
    found = [backup]
    while found[-1].parent_id:
        parent = await s.get(Backup, found[-1].parent_id)
        if parent is None:
            break
        found.append(parent)
    return found


async def list_page(
    s: AsyncSession,
    *,
    project_id: str | None,
    exact: dict[str, Any],
    keys: list[paging.SortKey],
    marker: str | None,
    limit: int,
    with_count: bool,
) -> tuple[list[Backup], int | None]:
    columns = {"name": Backup.name, "status": Backup.status, "volume_id": Backup.volume_id}
    where: list[ColumnElement[bool]] = [columns[k] == v for k, v in exact.items()]
    scope = Backup.project_id == project_id if project_id is not None else None
    if scope is not None:
        where.append(scope)
    stmt = select(Backup).where(*where)
    rows = await paging.page(
        s, stmt, keys=keys, id_col=Backup.id, marker=marker, limit=limit, scope=scope
    )
    total = await paging.count(s, stmt) if with_count else None
    return rows, total
