"""Volume lists: Cinder's filters turned into SQL, then one keyset page (objects/paging)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest
from nimbostack.core.timeutil import parse_iso
from nimbostack.volume.db.models import Volume, VolumeImageMetadata, VolumeMetadata, VolumeType
from nimbostack.volume.objects import paging

SORT_COLUMNS: dict[str, Any] = {
    "id": Volume.id,
    "name": Volume.name,
    "display_name": Volume.name,
    "size": Volume.size,
    "status": Volume.status,
    "created_at": Volume.created_at,
    "updated_at": Volume.updated_at,
    "availability_zone": Volume.availability_zone,
    "bootable": Volume.bootable,
    "project_id": Volume.project_id,
    "volume_type": Volume.volume_type_id,
    "volume_type_id": Volume.volume_type_id,
}
_TIME_OPS = {"gt", "gte", "lt", "lte", "eq", "neq"}


@dataclass
class VolumeFilters:
    """The filters of one list request, already validated."""

    project_id: str | None
    exact: dict[str, Any] = field(default_factory=dict)
    like: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    image_metadata: dict[str, str] = field(default_factory=dict)
    times: list[tuple[str, str, float]] = field(default_factory=list)
    volume_type: str | None = None


def parse_time_filter(name: str, raw: str) -> list[tuple[str, str, float]]:
    """``created_at=gt:2024-01-01T00:00:00,lt:...`` (3.60) into (column, op, epoch)."""
    found = []
    for part in raw.split(","):
        op, sep, value = part.partition(":")
        if not sep or op not in _TIME_OPS:
            op, value = "eq", part
        try:
            found.append((name, op, parse_iso(value)))
        except ValueError:
            raise BadRequest(f"Invalid time value {value!r} for filter {name!r}.") from None
    return found


def _conditions(f: VolumeFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.project_id is not None:
        where.append(Volume.project_id == f.project_id)
    columns = {"name": Volume.name, "status": Volume.status, "size": Volume.size}
    columns |= {"availability_zone": Volume.availability_zone, "bootable": Volume.bootable}
    columns |= {"migration_status": Volume.migration_status, "use_quota": Volume.use_quota}
    for key, value in f.exact.items():
        where.append(columns[key] == value)
    for key, value in f.like.items():
        where.append(columns[key].like(f"%{_escape(value)}%", escape="\\"))
    for key, value in f.metadata.items():
        where.append(
            exists().where(
                VolumeMetadata.volume_id == Volume.id,
                VolumeMetadata.key == key,
                VolumeMetadata.value == value,
            )
        )
    for key, value in f.image_metadata.items():
        where.append(
            exists().where(
                VolumeImageMetadata.volume_id == Volume.id,
                VolumeImageMetadata.key == key,
                VolumeImageMetadata.value == value,
            )
        )
    for name, op, when in f.times:
        column = Volume.created_at if name == "created_at" else Volume.updated_at
        where.append(_compare(column, op, when))
    if f.volume_type is not None:
        where.append(
            exists().where(
                VolumeType.id == Volume.volume_type_id,
                (VolumeType.id == f.volume_type) | (VolumeType.name == f.volume_type),
            )
        )
    return where


def _compare(column: Any, op: str, when: float) -> ColumnElement[bool]:
    table = {
        "gt": column > when,
        "gte": column >= when,
        "lt": column < when,
        "lte": column <= when,
        "neq": column != when,
    }
    return table.get(op, column == when)  # type: ignore[no-any-return]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def statement(f: VolumeFilters) -> Select[Any]:
    return select(Volume).where(and_(*_conditions(f)))


async def list_page(
    s: AsyncSession,
    f: VolumeFilters,
    *,
    keys: list[paging.SortKey],
    marker: str | None,
    limit: int,
    with_count: bool,
) -> tuple[list[Volume], int | None]:
    """One page of the matching volumes, and their total count when asked."""
    stmt = statement(f)
    scope = Volume.project_id == f.project_id if f.project_id is not None else None
    rows = await paging.page(
        s, stmt, keys=keys, id_col=Volume.id, marker=marker, limit=limit, scope=scope
    )
    total = await paging.count(s, stmt) if with_count else None
    return rows, total
