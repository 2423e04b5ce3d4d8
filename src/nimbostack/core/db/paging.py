"""Keyset pagination in SQL: a limit, a marker and sort keys become WHERE, ORDER BY and LIMIT.

A page never loads the rows before it: the marker (the id of the last item the client
saw) is looked up once for its sort values, and the page is the rows that sort after
those values, with the unique id as the last key so every row has exactly one place::

    sort = parse_sort(query.getlist("sort_key"), query.getlist("sort_dir"), SORTABLE)
    page = Page(Network.id, sort, parse_limit(query.get("limit")), query.get("marker"))
    stmt = await page.apply(session, select(Network).where(visible))
    rows = page.finish((await session.execute(stmt)).all())

NULLs sort before every value in ascending order (and after them in descending order)
on every database, so pages agree between SQLite and PostgreSQL. ``reverse`` pages
backwards from the marker (the rows just before it), still returned in sort order.

Bad input gets one set of 400 messages, whichever API asks; an API that answers a
missing marker differently (Neutron: the resource's 404) passes ``marker_error``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from nimbostack.core.api.params import bounded_int, clipped
from nimbostack.core.api.schema import MAX_BIGINT
from nimbostack.core.errors import ApiError, BadRequest

T = TypeVar("T")
# A column as SQL sees it, or a mapped class attribute (``Network.name``).
Column = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY key: the name the client used, its column and its direction."""

    name: str
    column: Column
    ascending: bool = True

    def flipped(self) -> SortKey:
        return SortKey(self.name, self.column, not self.ascending)

    def order(self) -> ColumnElement[Any]:
        if self.ascending:
            return self.column.asc().nulls_first()
        return self.column.desc().nulls_last()

    def after(self, value: Any) -> ColumnElement[bool]:
        """Rows that sort strictly after ``value`` on this key alone."""
        if self.ascending:
            return self.column.is_not(None) if value is None else self.column > value
        if value is None:
            return false()
        return or_(self.column < value, self.column.is_(None))

    def equal(self, value: Any) -> ColumnElement[bool]:
        return self.column.is_(None) if value is None else self.column == value


def parse_limit(raw: str | None, *, max_limit: int | None = None) -> int | None:
    """The page size asked for: None for "everything" (absent or 0), capped by max_limit."""
    if raw is None or raw == "":
        limit = 0
    else:
        # Bounded: a LIMIT beyond 64 bits fails in the database driver, not as a 400.
        found = bounded_int(raw, 0, MAX_BIGINT)
        if found is None:
            raise BadRequest(f"Limit must be an integer 0 or greater and not '{clipped(raw)}'")
        limit = found
    if max_limit is not None and max_limit > 0:
        limit = min(limit, max_limit) if limit else max_limit
    return limit or None


def parse_sort(
    keys: Sequence[str],
    dirs: Sequence[str],
    sortable: Mapping[str, Column],
    *,
    default_dir: str | None = None,
) -> list[SortKey]:
    """Sort keys from repeated ``sort_key``/``sort_dir`` parameters.

    Every key needs its direction unless ``default_dir`` names one for the keys left
    without (APIs differ on this).
    """
    keys = [k for k in keys if k]
    dirs = [d for d in dirs if d]
    if len(dirs) > len(keys) or (len(dirs) < len(keys) and default_dir is None):
        raise BadRequest("The number of sort_keys and sort_dirs must be same")
    unknown = [k for k in keys if k not in sortable]
    if unknown:
        raise BadRequest(f"{unknown} is invalid attribute for sort_keys")
    wrong = [d for d in dirs if d not in ("asc", "desc")]
    if wrong:
        raise BadRequest(f"{wrong} is invalid value for sort_dirs, valid value is 'asc' and 'desc'")
    padded = [*dirs, *([default_dir or "asc"] * (len(keys) - len(dirs)))]
    return [SortKey(k, sortable[k], d == "asc") for k, d in zip(keys, padded, strict=True)]


def _missing_marker(marker: str) -> ApiError:
    return BadRequest(f"Marker {marker} could not be found.")


class Page:
    """One page of a listing: where it starts, how long it is, in which order."""

    def __init__(
        self,
        id_column: Column,
        sort: Sequence[SortKey],
        limit: int | None,
        marker: str | None = None,
        *,
        reverse: bool = False,
        marker_error: Callable[[str], ApiError] = _missing_marker,
    ) -> None:
        # The unique id breaks ties last, unless the client already sorts on it.
        has_id = any(k.column is id_column for k in sort)
        self.keys = [*sort] if has_id else [*sort, SortKey("id", id_column)]
        self.id_column = id_column
        self.limit = limit
        self.marker = marker or None
        self.reverse = reverse
        self.marker_error = marker_error

    async def apply(
        self, session: AsyncSession, stmt: Select[Any], params: Mapping[str, Any] | None = None
    ) -> Select[Any]:
        """``stmt`` (already filtered) ordered, cut at the marker and limited.

        ``params``: values of bound parameters ``stmt`` leaves open (the caller passes
        them again when it runs the page).
        """
        keys = [k.flipped() for k in self.keys] if self.reverse else self.keys
        if self.marker is not None:
            values = await self._marker_values(session, stmt, params or {})
            stmt = stmt.where(_after(keys, values))
        stmt = stmt.order_by(*(k.order() for k in keys))
        if self.limit is not None:
            stmt = stmt.limit(self.limit)
        return stmt

    def finish(self, rows: Sequence[T]) -> list[T]:
        """The rows of the page in the requested order (undoing a reverse read)."""
        return list(reversed(rows)) if self.reverse else list(rows)

    async def _marker_values(
        self, session: AsyncSession, stmt: Select[Any], params: Mapping[str, Any]
    ) -> list[Any]:
        # Looked up with the listing's own filters: a marker the caller cannot see is
        # as unknown as one that does not exist.
        lookup = (
            stmt.with_only_columns(*(k.column for k in self.keys))
            .where(self.id_column == self.marker)
            .order_by(None)
            .limit(1)
        )
        row = (await session.execute(lookup, dict(params))).first()
        if row is None:
            raise self.marker_error(str(self.marker))
        return list(row)


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after the marker: greater on the first key, or equal on it and after on the rest."""
    branches = []
    for index, key in enumerate(keys):
        equal_before = [k.equal(v) for k, v in zip(keys[:index], values[:index], strict=True)]
        branches.append(and_(*equal_before, key.after(values[index])))
    return or_(*branches)


__all__ = ["Page", "SortKey", "parse_limit", "parse_sort"]
