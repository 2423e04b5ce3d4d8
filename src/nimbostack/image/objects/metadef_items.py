"""The named definitions inside a namespace: objects, properties and tags.

The three share one shape (namespace, name, a JSON body, timestamps), so one set of
functions serves them; ``model`` picks the table and ``kind`` words the errors.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from nimbostack.core.db import Database
from nimbostack.core.errors import Conflict, NotFound
from nimbostack.image.db.models import MetadefObject, MetadefProperty, MetadefTag

Item = MetadefObject | MetadefProperty | MetadefTag
Model = type[MetadefObject] | type[MetadefProperty] | type[MetadefTag]
T = TypeVar("T", MetadefObject, MetadefProperty, MetadefTag)
KINDS: dict[Model, str] = {MetadefObject: "object", MetadefProperty: "property", MetadefTag: "tag"}


def not_found(model: Model, name: str, namespace: str) -> NotFound:
    return NotFound(
        f"Metadata definition {KINDS[model]}={name} was not found in namespace={namespace}."
    )


def _duplicate(model: Model, name: str, namespace: str) -> Conflict:
    return Conflict(
        f"A metadata definition {KINDS[model]} with name={name} already exists in "
        f"namespace={namespace}."
    )


async def list_in(db: Database, model: type[T], ns_id: str) -> list[T]:
    stmt = select(model).where(model.namespace_id == ns_id).order_by(model.created_at, model.name)
    async with db.session() as s:
        return list((await s.scalars(stmt)).all())


async def get(db: Database, model: type[T], ns_id: str, name: str, namespace: str) -> T:
    async with db.session() as s:
        item = await s.get(model, (ns_id, name))
    if item is None:
        raise not_found(model, name, namespace)
    return item


async def add(
    db: Database,
    model: Model,
    ns_id: str,
    namespace: str,
    items: list[tuple[str, dict[str, Any]]],
    *,
    clear: bool = False,
) -> list[Item]:
    """Insert ``(name, body)`` pairs all at once; a duplicate name is a 409 and adds none.

    With ``clear`` the namespace's existing definitions are dropped in the same
    transaction, so a refused request leaves them as they were.
    """
    now = time.time()
    rows: list[Item] = [
        model(namespace_id=ns_id, name=name, body=body, created_at=now, updated_at=now)
        for name, body in items
    ]
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise Conflict(f"Duplicate {KINDS[model]} names in the request.")
    try:
        async with db.session() as s:
            if clear:
                await s.execute(delete(model).where(model.namespace_id == ns_id))
            s.add_all(rows)
    except IntegrityError:
        taken = names[0] if len(names) == 1 else ", ".join(names)
        raise _duplicate(model, taken, namespace) from None
    return rows


async def replace(
    db: Database, item: Item, namespace: str, name: str, body: dict[str, Any]
) -> Item:
    """Rename and/or rewrite one definition."""
    model = type(item)
    now = time.time()
    try:
        async with db.session() as s:
            result = await s.execute(
                update(model)
                .where(model.namespace_id == item.namespace_id, model.name == item.name)
                .values(name=name, body=body, updated_at=now)
            )
    except IntegrityError:
        raise _duplicate(model, name, namespace) from None
    if not getattr(result, "rowcount", 0):
        raise not_found(model, item.name, namespace)
    return model(
        namespace_id=item.namespace_id,
        name=name,
        body=body,
        created_at=item.created_at,
        updated_at=now,
    )


async def remove(db: Database, model: Model, ns_id: str, name: str, namespace: str) -> None:
    async with db.session() as s:
        result = await s.execute(
            delete(model).where(model.namespace_id == ns_id, model.name == name)
        )
    if not getattr(result, "rowcount", 0):
        raise not_found(model, name, namespace)


async def remove_all(db: Database, model: Model, ns_id: str) -> None:
    async with db.session() as s:
        await s.execute(delete(model).where(model.namespace_id == ns_id))
