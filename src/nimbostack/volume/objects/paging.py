"""Keyset paging in SQL: ``sort`` keys, ``marker`` and ``limit`` as Cinder's lists take them.

A page is one query: ``ORDER BY`` the sort keys (the id always last, so the order is
total) and ``WHERE`` the row comes after the marker's own sort values. Nothing is
loaded beyond the page, and a page never repeats or skips a row that existed for the
whole walk. Nullable text keys sort as empty strings, the same on every database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.db import paging as core_paging
from nimbostack.core.errors import BadRequest

MAX_LIMIT = 1000
# A column to sort or page on: a mapped attribute or any SQL expression.
Column = Any


@dataclass(frozen=True)
class SortKey:
    expr: Column
    descending: bool


def parse_sort(
    raw_sort: str | None,
    raw_keys: str | None,
    raw_dirs: str | None,
    columns: dict[str, Any],
    id_col: Column,
) -> list[SortKey]:
    """Sort keys from ``sort=k1:asc,k2`` or ``sort_key``/``sort_dir``; newest first by default."""
    pairs: list[tuple[str, str]] = []
    if raw_sort:
        if raw_keys or raw_dirs:
            raise BadRequest(
                "The 'sort_key' and 'sort_dir' parameters are deprecated and "
                "cannot be used with the 'sort' parameter."
            )
        for item in raw_sort.split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key.strip(), direction.strip().lower() or "desc"))
    elif raw_keys:
        dirs = [d.strip().lower() for d in (raw_dirs or "").split(",") if d.strip()]
        for i, key in enumerate(k.strip() for k in raw_keys.split(",")):
            pairs.append((key, dirs[i] if i < len(dirs) else (dirs[-1] if dirs else "desc")))
    else:
        pairs = [("created_at", "desc")]
    keys = [_key(name, direction, columns) for name, direction in pairs]
    if not any(name == "id" for name, _ in pairs):
        keys.append(SortKey(id_col, keys[-1].descending))
    return keys


def _key(name: str, direction: str, columns: dict[str, Any]) -> SortKey:
    if direction not in ("asc", "desc"):
        raise BadRequest(f"Invalid sort direction {direction!r} for key {name!r}.")
    column = columns.get(name)
    if column is None:
        raise BadRequest(f"Invalid sort key {name!r}.")
    if getattr(column.type, "python_type", None) is str:
        column = func.coalesce(column, "")
    return SortKey(column, direction == "desc")


def parse_limit(raw: str | None) -> int:
    """The page size: any 64-bit number cut to MAX_LIMIT; absent or 0 is MAX_LIMIT (Cinder)."""
    return core_paging.parse_limit(raw, max_limit=MAX_LIMIT) or MAX_LIMIT


def ordered(stmt: Select[Any], keys: Sequence[SortKey]) -> Select[Any]:
    return stmt.order_by(*(k.expr.desc() if k.descending else k.expr.asc() for k in keys))


def after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows that come after a row whose sort values are ``values``, in the keys' order."""
    alternatives = []
    for i, key in enumerate(keys):
        equal = [keys[j].expr == values[j] for j in range(i)]
        beyond = key.expr < values[i] if key.descending else key.expr > values[i]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


async def marker_values(
    s: AsyncSession,
    keys: Sequence[SortKey],
    id_col: Column,
    marker: str,
    scope: ColumnElement[bool] | None,
) -> tuple[Any, ...]:
    """The marker row's sort values; 400 when the caller cannot see such a row."""
    stmt = select(*(k.expr for k in keys)).where(id_col == marker)
    if scope is not None:
        stmt = stmt.where(scope)
    row = (await s.execute(stmt)).first()
    if row is None:
        raise BadRequest(f"Marker {marker} could not be found.")
    return tuple(row)


async def page(
    s: AsyncSession,
    stmt: Select[Any],
    *,
    keys: Sequence[SortKey],
    id_col: Column,
    marker: str | None,
    limit: int,
    scope: ColumnElement[bool] | None,
) -> list[Any]:
    """One page of ``stmt``'s rows (the statement already carries the filters)."""
    if marker:
        values = await marker_values(s, keys, id_col, marker, scope)
        stmt = stmt.where(after(keys, values))
    stmt = ordered(stmt, keys).limit(limit)
    return list((await s.scalars(stmt)).all())


async def count(s: AsyncSession, stmt: Select[Any]) -> int:
    """How many rows ``stmt`` matches, without paging (``with_count``)."""
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(await s.scalar(counted) or 0)


def no_filter() -> ColumnElement[bool]:
    return true()
