"""Image listing: which images a caller sees, filtered, sorted and paged.

Everything runs in SQL: filters on columns, tags and custom properties, the order,
and the page (core.db.paging), so a page reads only its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.image.db.models import Image, ImageMember, ImageTag

SORT_KEYS = (
    "name", "status", "container_format", "disk_format", "size", "id", "created_at",
    "updated_at", "visibility", "owner", "min_disk", "min_ram", "virtual_size",
)  # fmt: skip
_OPS = {
    "eq": lambda c, v: c == v,
    "neq": lambda c, v: c != v,
    "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v,
    "lt": lambda c, v: c < v,
    "lte": lambda c, v: c <= v,
}


@dataclass
class ImageQuery:
    """A parsed list request (see api/listing.py for how the query string maps here)."""

    visibility: str | None = None
    member_status: str = "accepted"
    columns: dict[str, list[Any]] = field(default_factory=dict)
    ranges: list[tuple[str, str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    os_hidden: bool | None = False
    properties: dict[str, str] = field(default_factory=dict)
    sort: list[tuple[str, str]] = field(default_factory=list)
    limit: int = 25
    marker: str | None = None


def _shared_with(project: str | None, member_status: str) -> ColumnElement[bool]:
    members = select(ImageMember.image_id).where(ImageMember.member_id == project)
    if member_status != "all":
        members = members.where(ImageMember.status == member_status)
    return and_(Image.visibility == "shared", Image.id.in_(members))


def _visible(query: ImageQuery, ctx: RequestContext) -> ColumnElement[bool]:
    mine = Image.owner == ctx.project_id if ctx.project_id else false()
    shared = _shared_with(ctx.project_id, query.member_status)
    vis = query.visibility
    if vis in ("public", "community"):
        return Image.visibility == vis
    if ctx.is_admin:
        return true() if vis in (None, "all") else Image.visibility == vis
    if vis == "private":
        return and_(Image.visibility == "private", mine)
    if vis == "shared":
        return or_(and_(Image.visibility == "shared", mine), shared)
    if vis == "all":
        return or_(Image.visibility.in_(("public", "community")), mine, shared)
    # The default list leaves out community images other projects own.
    return or_(Image.visibility == "public", mine, shared)


def _statement(query: ImageQuery, ctx: RequestContext) -> Select[Image]:
    stmt = select(Image).where(_visible(query, ctx))
    for name, values in query.columns.items():
        stmt = stmt.where(getattr(Image, name).in_(values))
    for name, op, value in query.ranges:
        stmt = stmt.where(_OPS[op](getattr(Image, name), value))
    for tag in query.tags:
        tagged = select(ImageTag.image_id).where(ImageTag.value == tag)
        stmt = stmt.where(Image.id.in_(tagged))
    if query.os_hidden is not None:
        stmt = stmt.where(Image.os_hidden == query.os_hidden)
    for name, value in query.properties.items():
        stmt = stmt.where(Image.properties[name].as_string() == value)
    return stmt


def _page(query: ImageQuery) -> Page:
    keys = [SortKey(key, getattr(Image, key), direction == "asc") for key, direction in query.sort]
    if all(k.name != "id" for k in keys):
        keys.append(SortKey("id", Image.id, ascending=False))
    return Page(Image.id, keys, query.limit, query.marker)


async def list_images(db: Database, ctx: RequestContext, query: ImageQuery) -> list[Image]:
    """One page of the images the caller sees that match ``query``."""
    page = _page(query)
    async with db.reader() as s:
        return list((await s.scalars(await page.apply(s, _statement(query, ctx)))).all())
