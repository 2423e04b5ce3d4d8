"""Instance queries for the API: scoped lookups, listing, guarded state changes, deletes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute import states
from nimbostack.compute.db.models import Instance, InstanceFault
from nimbostack.compute.objects import instances
from nimbostack.core.db import Database
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import ApiError

_ROWS_PER_TURN = 200
SORT_KEYS = {
    "created_at": Instance.created_at,
    "updated_at": Instance.updated_at,
    "display_name": Instance.display_name,
    "uuid": Instance.uuid,
    "vm_state": Instance.vm_state,
    "task_state": Instance.task_state,
    "power_state": Instance.power_state,
    "host": Instance.host,
    "node": Instance.node,
    "hostname": Instance.hostname,
    "image_ref": Instance.image_ref,
    "key_name": Instance.key_name,
    "launched_at": Instance.launched_at,
    "terminated_at": Instance.terminated_at,
    "availability_zone": Instance.availability_zone,
    "project_id": Instance.project_id,
    "user_id": Instance.user_id,
    "locked": Instance.locked,
    "launch_index": Instance.launch_index,
    "progress": Instance.progress,
    "config_drive": Instance.config_drive,
    "access_ip_v4": Instance.access_ip_v4,
    "access_ip_v6": Instance.access_ip_v6,
    "reservation_id": Instance.reservation_id,
}


@dataclass
class InstanceQuery:
    """SQL-side filters and order; the API applies the rest (regexes, status, tags) in Python."""

    project_id: str | None = None  # None: every project (admin all_tenants)
    host: str | None = None
    changes_since: float | None = None
    changes_before: float | None = None
    read_deleted: bool = False
    exact: dict[str, Any] = field(default_factory=dict)
    sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])

    def order(self) -> list[SortKey]:
        """The sort keys, then the uuid (newest first) so that every row has one place."""
        keys = [SortKey(key, SORT_KEYS[key], direction != "desc") for key, direction in self.sort]
        if all(k.column is not Instance.uuid for k in keys):
            keys.append(SortKey("uuid", Instance.uuid, ascending=False))
        return keys


# What a listing shows of a server: every column but the bulky ones no view needs, and
# the pinned zone pulled out of the request spec by the database.
_LISTED = [
    *(
        column.label(key)
        for key, column in Instance.__mapper__.columns.items()
        if key not in {"key_data", "old_flavor", "new_flavor", "system_metadata", "request_spec"}
    ),
    Instance.request_spec["availability_zone"].as_string().label("pinned_availability_zone"),
]


@dataclass
class PageSpec:
    """Which page of a listing: at most ``limit`` rows after ``marker``, if it is listed."""

    limit: int
    marker: str | None
    marker_error: Callable[[str], ApiError]


async def search(
    db: Database, q: InstanceQuery, spec: PageSpec, keep: Callable[[Any], bool] | None = None
) -> list[Any]:
    """One page of the instances matching ``q`` (and ``keep``), as rows named like Instance.

    The page is cut in SQL. Rows that ``keep`` drops leave it short: the next rows are
    then read after the last one seen, a batch at a time, until the page is full or the
    listing ends. Rows, not ORM objects: a page of a thousand servers builds no identity
    map, and a turn of the event loop between batches lets others in (SQLite runs on it).
    """
    found: list[Any] = []
    cursor = spec.marker
    async with db.reader() as s:
        while len(found) < spec.limit:
            wanted = spec.limit - len(found)
            if keep is not None:
                wanted = max(wanted, _ROWS_PER_TURN)
            page = Page(Instance.uuid, q.order(), wanted, cursor, marker_error=spec.marker_error)
            batch = await _batch(s, q, page)
            found.extend(r for r in batch if keep is None or keep(r))
            if len(batch) < wanted:
                break
            cursor = batch[-1].uuid
            await asyncio.sleep(0)
    return found[: spec.limit]


async def _batch(s: AsyncSession, q: InstanceQuery, page: Page) -> list[Any]:
    rows: list[Any] = []
    result = await s.stream(await page.apply(s, _filtered(select(*_LISTED), q)))
    async for part in result.partitions(_ROWS_PER_TURN):
        rows.extend(part)
        await asyncio.sleep(0)
    return rows


def _filtered(stmt: Select[Any], q: InstanceQuery) -> Select[Any]:
    if q.project_id is not None:
        stmt = stmt.where(Instance.project_id == q.project_id)
    if q.host is not None:
        stmt = stmt.where(Instance.host == q.host)
    if q.changes_since is not None:
        stmt = stmt.where(Instance.updated_at >= q.changes_since)
    if q.changes_before is not None:
        stmt = stmt.where(Instance.updated_at <= q.changes_before)
    if not q.read_deleted:
        stmt = stmt.where(Instance.deleted.is_(False))
    for name, value in q.exact.items():
        stmt = stmt.where(SORT_KEYS[name] == value)
    return stmt


async def find(db: Database, uuid: str, project_id: str | None) -> Instance | None:
    """An undeleted instance, only if it belongs to ``project_id`` (None: any)."""
    async with db.reader() as s:
        instance = await s.get(Instance, uuid)
    if instance is None or instance.deleted:
        return None
    if project_id is not None and instance.project_id != project_id:
        return None
    return instance


async def guarded_update(
    s: AsyncSession,
    uuid: str,
    values: dict[str, Any],
    *,
    vm_states: list[str] | None = None,
    task_states: list[str | None] | None = None,
) -> bool:
    """Apply values only if the instance is still in one of the expected states.

    ``system_metadata`` in ``values`` holds changes, merged into the row the update
    has just locked (see instances.merged_system_metadata).
    """
    values = dict(values)
    meta_changes = values.pop("system_metadata", None)
    stmt = update(Instance).where(Instance.uuid == uuid, Instance.deleted.is_(False))
    if vm_states is not None:
        stmt = stmt.where(Instance.vm_state.in_(vm_states))
    if task_states is not None:
        named = [t for t in task_states if t is not None]
        cond: ColumnElement[bool] = Instance.task_state.in_(named)
        if None in task_states:
            cond = cond | Instance.task_state.is_(None)
        stmt = stmt.where(cond)
    mapped = {("metadata_" if k == "metadata" else k): v for k, v in values.items()}
    result = await s.execute(stmt.values(**mapped, updated_at=time.time()))
    won = bool(getattr(result, "rowcount", 0))
    if won and meta_changes:
        row = await instances.get_for_update(s, uuid)
        row.system_metadata = instances.merged_system_metadata(row.system_metadata, meta_changes)
    return won


def mark_deleted(instance: Instance) -> None:
    now = time.time()
    instance.vm_state = states.DELETED
    instance.task_state = None
    instance.deleted = True
    instance.deleted_at = now
    instance.terminated_at = now
    instance.updated_at = now


async def latest_faults(db: Database, uuids: list[str]) -> dict[str, InstanceFault]:
    if not uuids:
        return {}
    async with db.reader() as s:
        rows = await s.scalars(
            select(InstanceFault)
            .where(InstanceFault.instance_uuid.in_(uuids))
            .order_by(InstanceFault.created_at.asc(), InstanceFault.id.asc())
        )
        return {fault.instance_uuid: fault for fault in rows}
