"""Metadata definition namespaces and their resource-type associations, in the image DB.

A namespace is visible to admins, to everyone when ``public``, and to its owner's
project when ``private``; any other caller gets a 404, as for images.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import false, or_, select, update
from sqlalchemy.exc import IntegrityError

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.paging import Page, SortKey
from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.image.db.models import (
    MetadefAssociation,
    MetadefNamespace,
    MetadefResourceType,
)


def not_found(name: str) -> NotFound:
    return NotFound(f"Metadata definition namespace={name} was not found.")


def can_see(ns: MetadefNamespace, ctx: RequestContext) -> bool:
    if ctx.is_admin or ns.visibility == "public":
        return True
    return ns.owner is not None and ns.owner == ctx.project_id


async def load(db: Database, ctx: RequestContext, name: str) -> MetadefNamespace:
    async with db.session() as s:
        ns = await s.scalar(select(MetadefNamespace).where(MetadefNamespace.namespace == name))
    if ns is None or not can_see(ns, ctx):
        raise not_found(name)
    return ns


async def list_visible(
    db: Database,
    ctx: RequestContext,
    visibility: str | None,
    resource_types: list[str],
    page: Page,
) -> list[MetadefNamespace]:
    """One page of the namespaces the caller may see, oldest first."""
    stmt = select(MetadefNamespace)
    if not ctx.is_admin:
        mine = MetadefNamespace.owner == ctx.project_id if ctx.project_id else false()
        stmt = stmt.where(or_(MetadefNamespace.visibility == "public", mine))
    if visibility is not None:
        stmt = stmt.where(MetadefNamespace.visibility == visibility)
    if resource_types:
        linked = select(MetadefAssociation.namespace_id).where(
            MetadefAssociation.resource_type.in_(resource_types)
        )
        stmt = stmt.where(MetadefNamespace.id.in_(linked))
    async with db.reader() as s:
        return list((await s.scalars(await page.apply(s, stmt))).all())


def oldest_first(limit: int, marker: str | None) -> Page:
    """A page of namespaces in creation order, after the ``marker`` namespace's name."""
    keys = [
        SortKey("created_at", MetadefNamespace.created_at),
        SortKey("id", MetadefNamespace.id),
    ]
    return Page(
        MetadefNamespace.namespace,
        keys,
        limit,
        marker,
        marker_error=lambda name: BadRequest(f"Marker namespace {name} could not be found."),
    )


async def create(db: Database, values: dict[str, Any]) -> MetadefNamespace:
    now = time.time()
    ns = MetadefNamespace(id=str(uuid.uuid4()), created_at=now, updated_at=now, **values)
    try:
        async with db.session() as s:
            s.add(ns)
    except IntegrityError:
        raise _duplicate(values["namespace"]) from None
    return ns


async def save(db: Database, ns_id: str, values: dict[str, Any]) -> None:
    try:
        async with db.session() as s:
            await s.execute(
                update(MetadefNamespace)
                .where(MetadefNamespace.id == ns_id)
                .values(updated_at=time.time(), **values)
            )
    except IntegrityError:
        raise _duplicate(values.get("namespace", "")) from None


def _duplicate(name: str) -> Conflict:
    return Conflict(f"Metadata definition namespace={name} already exists.")


async def remove(db: Database, ns: MetadefNamespace) -> None:
    async with db.session() as s:
        row = await s.get(MetadefNamespace, ns.id)
        if row is not None:
            await s.delete(row)


async def resource_types(db: Database) -> list[MetadefResourceType]:
    async with db.session() as s:
        stmt = select(MetadefResourceType).order_by(MetadefResourceType.name)
        return list((await s.scalars(stmt)).all())


async def associations(db: Database, ns_id: str) -> list[MetadefAssociation]:
    async with db.session() as s:
        stmt = (
            select(MetadefAssociation)
            .where(MetadefAssociation.namespace_id == ns_id)
            .order_by(MetadefAssociation.created_at)
        )
        return list((await s.scalars(stmt)).all())


async def associate(
    db: Database, ns: MetadefNamespace, values: dict[str, Any]
) -> MetadefAssociation:
    """Link ``ns`` to a resource type, creating the type on first use (as Glance does)."""
    now = time.time()
    name = values["name"]
    link = MetadefAssociation(
        namespace_id=ns.id,
        resource_type=name,
        prefix=values.get("prefix"),
        properties_target=values.get("properties_target"),
        created_at=now,
        updated_at=now,
    )
    try:
        async with db.session() as s:
            if await s.get(MetadefResourceType, name) is None:
                s.add(
                    MetadefResourceType(name=name, protected=False, created_at=now, updated_at=now)
                )
                await s.flush()
            s.add(link)
    except IntegrityError:
        raise Conflict(
            f"Resource type {name} is already associated with namespace {ns.namespace}."
        ) from None
    return link


async def dissociate(db: Database, ns: MetadefNamespace, name: str) -> None:
    async with db.session() as s:
        link = await s.get(MetadefAssociation, (ns.id, name))
        if link is None:
            raise NotFound(f"Resource type {name} is not associated with namespace {ns.namespace}.")
        await s.delete(link)
