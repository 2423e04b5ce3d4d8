"""Neutron list semantics in SQL, once for every resource: filters, tags, sorting, paging.

A resource describes itself with a ``Table``: its attributes that are plain columns
(each filterable, and sortable unless marked otherwise), the filters that are not
columns (``fixed_ips``, ``shared``...), and its tag type. ``ListRequest`` is what the
API parsed from the query string; ``select_page`` turns both into one statement.

Filters on one attribute with several values match any of them; on several attributes,
all of them. An empty value matches the empty string (empty-string-filtering).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, not_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from nimbostack.core.api.params import bounded_int, clipped
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.db.paging import Page, parse_sort
from nimbostack.core.errors import ApiError
from nimbostack.network.db.models import Tag
from nimbostack.network.errors import InvalidInput

FilterFn = Callable[[list[str]], ColumnElement[bool]]
# A select of any columns or entities (what listings build and page).
Rows = Select[*tuple[Any, ...]]
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def to_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InvalidInput(error_message=f"'{raw}' cannot be converted to boolean")


def to_int(raw: str) -> int:
    """A filter value for an integer column (32-bit, as every such column is)."""
    number = bounded_int(raw, -MAX_INT - 1, MAX_INT)
    if number is None:
        raise InvalidInput(error_message=f"'{clipped(raw)}' is not an integer")
    return number


@dataclass(frozen=True)
class Table:
    """How one resource is listed (see the module docstring)."""

    id: InstrumentedAttribute[str]
    columns: Mapping[str, ColumnElement[Any] | InstrumentedAttribute[Any]]
    not_found: Callable[[str], ApiError]
    tag_type: str | None = None
    bools: frozenset[str] = frozenset()
    ints: frozenset[str] = frozenset()
    unsortable: frozenset[str] = frozenset()
    filters: Mapping[str, FilterFn] = field(default_factory=dict)

    def filter_names(self) -> set[str]:
        names = set(self.columns) | set(self.filters)
        if "project_id" in names:
            names.add("tenant_id")
        if self.tag_type:
            names.update(TAG_FILTERS)
        return names

    def sortable(self) -> dict[str, Any]:
        found = {k: v for k, v in self.columns.items() if k not in self.unsortable}
        if "project_id" in found:
            found["tenant_id"] = found["project_id"]
        return found

    def convert(self, name: str, raw: str) -> Any:
        if name in self.bools:
            return to_bool(raw)
        if name in self.ints:
            return to_int(raw)
        return raw


@dataclass
class ListRequest:
    """A parsed list query: filters (name -> values), paging and sorting."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    sort_keys: list[str] = field(default_factory=list)
    sort_dirs: list[str] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False


def conditions(table: Table, filters: Mapping[str, list[str]]) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``filters`` (names already validated against the table)."""
    found: list[ColumnElement[bool]] = []
    for name, values in filters.items():
        key = "project_id" if name == "tenant_id" else name
        if key in TAG_FILTERS:
            found.append(_tag_condition(table, key, values))
        elif key in table.filters:
            found.append(table.filters[key](values))
        else:
            column = table.columns[key]
            found.append(column.in_([table.convert(key, v) for v in values]))
    return found


def _tag_condition(table: Table, kind: str, values: list[str]) -> ColumnElement[bool]:
    tags = [t for value in values for t in value.split(",") if t]

    def has(tag: str) -> ColumnElement[bool]:
        return exists().where(
            Tag.resource_type == table.tag_type, Tag.resource_id == table.id, Tag.tag == tag
        )

    if kind == "tags":
        return and_(*(has(t) for t in tags))
    if kind == "tags-any":
        return or_(*(has(t) for t in tags))
    if kind == "not-tags":
        return not_(and_(*(has(t) for t in tags)))
    return not_(or_(*(has(t) for t in tags)))


def page_of(table: Table, req: ListRequest, default_sort: Sequence[str] = ()) -> Page:
    keys, dirs = req.sort_keys, req.sort_dirs
    if not keys and default_sort:
        keys, dirs = list(default_sort), ["asc"] * len(default_sort)
    sort = parse_sort(keys, dirs, table.sortable())
    return Page(
        table.id,
        sort,
        req.limit,
        req.marker,
        reverse=req.page_reverse,
        marker_error=table.not_found,
    )


async def select_page(
    s: AsyncSession,
    table: Table,
    stmt: Rows,
    req: ListRequest,
    params: Mapping[str, Any] | None = None,
) -> tuple[Page, Rows]:
    """``stmt`` filtered, sorted and cut to the requested page.

    A list that asks for no order and no page comes in the database's own order (as
    Neutron's do), which spares sorting every row of a long list.
    """
    stmt = stmt.where(*conditions(table, req.filters))
    page = page_of(table, req)
    if not (req.limit or req.marker or req.sort_keys):
        return page, stmt
    return page, await page.apply(s, stmt, params)
