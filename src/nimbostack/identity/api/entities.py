"""Shared plumbing of identity's resource handlers: sessions, lookups, Keystone messages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import Conflict, NotFound
from nimbostack.identity.state import state_of

T = TypeVar("T")

NAME = {"type": "string", "minLength": 1, "maxLength": 255}
ID_REF = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_ID = {"type": ["string", "null"], "maxLength": 64}
DESCRIPTION = {"type": ["string", "null"], "maxLength": 65535}
BOOLEAN = {"type": "boolean"}


def new_id() -> str:
    return uuid.uuid4().hex


def envelope(
    key: str, properties: dict[str, Any], *, required: tuple[str, ...] = (), strict: bool = True
) -> dict[str, Any]:
    """The JSON schema of ``{key: {...}}`` request bodies."""
    inner: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": not strict,
    }
    if not required:
        inner["minProperties"] = 0
    return {
        "type": "object",
        "properties": {key: inner},
        "required": [key],
        "additionalProperties": False,
    }


@asynccontextmanager
async def reading(req: ApiRequest) -> AsyncIterator[AsyncSession]:
    async with state_of(req).db.reader() as session:
        yield session


@asynccontextmanager
async def writing(req: ApiRequest, kind: str = "entity") -> AsyncIterator[AsyncSession]:
    """A write transaction: a unique-constraint race becomes a 409, success drops caches."""
    state = state_of(req)
    try:
        async with state.db.session() as session:
            yield session
    except IntegrityError:
        raise Conflict(
            f"Conflict occurred attempting to store {kind} - Duplicate entry found."
        ) from None
    state.changed()


async def get_or_404(
    session: AsyncSession, model: type[T], entity_id: str, kind: str, *, lock: bool = False
) -> T:
    """The row, or Keystone's ``Could not find <kind>: <id>.`` 404.

    ``lock`` reads it FOR UPDATE (see core.db.locks): an update that merges into what
    it read (extra attributes, options, tags) must not lose a concurrent one.
    """
    row = await (
        get_for_update(session, model, entity_id) if lock else session.get(model, entity_id)
    )
    if row is None:
        raise NotFound(f"Could not find {kind}: {entity_id}.")
    return row


def duplicate(kind: str, name: str, domain_id: str | None = None) -> Conflict:
    where = f" at domain ID {domain_id}" if domain_id else ""
    return Conflict(
        f"Conflict occurred attempting to store {kind} - "
        f"Duplicate entry found with name {name}{where}."
    )


def apply_fields(row: Any, body: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Copy the given keys of a validated body onto a row."""
    for name in fields:
        if name in body:
            setattr(row, name, body[name])


def query_filters(req: ApiRequest, names: tuple[str, ...]) -> dict[str, str]:
    """The exact-match filters present in the query string."""
    return {name: req.query[name] for name in names if name in req.query}
