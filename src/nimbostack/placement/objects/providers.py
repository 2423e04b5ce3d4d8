"""Resource providers: lookup, create, update, delete, and generation bumps."""

from __future__ import annotations

import time
import uuid as uuidlib
from dataclasses import dataclass

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.placement.db.models import (
    Allocation,
    Inventory,
    ProviderAggregate,
    ProviderTrait,
    ResourceProvider,
)

RP_MODEL = ResourceProvider

CONCURRENT_UPDATE = "placement.concurrent_update"
DUPLICATE_NAME = "placement.duplicate_name"
PROVIDER_IN_USE = "placement.resource_provider.inuse"
CANNOT_DELETE = "placement.resource_provider.cannot_delete"


@dataclass
class Provider:
    """A provider as the API shows it, with its parent's and root's uuids."""

    id: int
    uuid: str
    name: str
    generation: int
    parent_id: int | None
    root_id: int
    parent_uuid: str | None
    root_uuid: str


def provider_select() -> Select[ResourceProvider, str | None, str]:
    parent = aliased(ResourceProvider)
    root = aliased(ResourceProvider)
    return (
        select(ResourceProvider, parent.uuid, root.uuid)
        .outerjoin(parent, parent.id == ResourceProvider.parent_provider_id)
        .join(root, root.id == ResourceProvider.root_provider_id)
    )


def to_provider(rp: ResourceProvider, parent_uuid: str | None, root_uuid: str) -> Provider:
    return Provider(
        id=rp.id,
        uuid=rp.uuid,
        name=rp.name,
        generation=rp.generation,
        parent_id=rp.parent_provider_id,
        root_id=rp.root_provider_id or rp.id,
        parent_uuid=parent_uuid,
        root_uuid=root_uuid,
    )


async def get(s: AsyncSession, uuid: str) -> Provider:
    """The provider with ``uuid``, or a 404."""
    row = (await s.execute(provider_select().where(ResourceProvider.uuid == uuid))).first()
    if row is None:
        raise NotFound(f"No resource provider with uuid {uuid} found")
    return to_provider(row[0], row[1], row[2])


def normalize_uuid(value: str, field: str = "uuid") -> str:
    try:
        return str(uuidlib.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise BadRequest(f"Invalid input for field '{field}': {value!r} is not a uuid") from None


async def _check_name_free(s: AsyncSession, name: str, own_id: int | None = None) -> None:
    query = select(ResourceProvider.id).where(ResourceProvider.name == name)
    found = await s.scalar(query)
    if found is not None and found != own_id:
        raise Conflict(
            f"Conflicting resource provider name: {name} already exists.", code=DUPLICATE_NAME
        )


async def create(s: AsyncSession, name: str, uuid: str | None, parent_uuid: str | None) -> Provider:
    """Insert a provider (root of its own tree unless it has a parent)."""
    uuid = normalize_uuid(uuid) if uuid else str(uuidlib.uuid4())
    if await s.scalar(select(ResourceProvider.id).where(ResourceProvider.uuid == uuid)):
        raise Conflict(f"Conflicting resource provider uuid: {uuid} already exists.")
    await _check_name_free(s, name)
    parent = await _parent(s, parent_uuid, uuid)
    now = time.time()
    rp = ResourceProvider(
        uuid=uuid,
        name=name,
        generation=0,
        parent_provider_id=parent.id if parent else None,
        root_provider_id=parent.root_id if parent else None,
        created_at=now,
        updated_at=now,
    )
    s.add(rp)
    await s.flush()
    if parent is None:
        rp.root_provider_id = rp.id
        await s.flush()
    return await get(s, uuid)


async def _parent(s: AsyncSession, parent_uuid: str | None, own_uuid: str) -> Provider | None:
    if parent_uuid is None:
        return None
    if parent_uuid == own_uuid:
        raise BadRequest("Creating resource provider with itself as parent is not allowed.")
    try:
        return await get(s, normalize_uuid(parent_uuid, "parent_provider_uuid"))
    except NotFound:
        raise BadRequest(f"parent provider UUID {parent_uuid} does not exist.") from None


async def subtree_ids(s: AsyncSession, rp: Provider) -> set[int]:
    """Ids of ``rp`` and all its descendants."""
    rows = await s.execute(
        select(ResourceProvider.id, ResourceProvider.parent_provider_id).where(
            ResourceProvider.root_provider_id == rp.root_id
        )
    )
    children: dict[int | None, list[int]] = {}
    for id_, parent in rows.all():
        children.setdefault(parent, []).append(id_)
    found, todo = set(), [rp.id]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


async def update_provider(
    s: AsyncSession, rp: Provider, name: str, parent_uuid: str | None, reparent: bool
) -> Provider:
    """Rename a provider and set its parent (re-parenting only when ``reparent``)."""
    await _check_name_free(s, name, rp.id)
    values: dict[str, object] = {"name": name, "updated_at": time.time()}
    if parent_uuid != rp.parent_uuid:
        if rp.parent_uuid is not None and not reparent:
            raise BadRequest("re-parenting a provider is not currently allowed.")
        parent = await _parent(s, parent_uuid, rp.uuid)
        subtree = await subtree_ids(s, rp)
        if parent is not None and parent.id in subtree:
            raise BadRequest("creating loop in the provider tree is not allowed.")
        new_root = parent.root_id if parent else rp.id
        values["parent_provider_id"] = parent.id if parent else None
        await s.execute(
            update(ResourceProvider)
            .where(ResourceProvider.id.in_(subtree))
            .values(root_provider_id=new_root)
        )
    await bump(s, rp, **values)
    return await get(s, rp.uuid)


async def bump(s: AsyncSession, rp: Provider, **values: object) -> int:
    """Increase ``rp``'s generation if nobody else did since we read it; 409 otherwise."""
    result = await s.execute(
        update(ResourceProvider)
        .where(ResourceProvider.id == rp.id, ResourceProvider.generation == rp.generation)
        .values(generation=ResourceProvider.generation + 1, **values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            f"resource provider generation conflict: {rp.uuid} changed while the request "
            "was processed. Please update the generation and try again.",
            code=CONCURRENT_UPDATE,
        )
    rp.generation += 1
    return rp.generation


def check_generation(rp: Provider, given: int) -> None:
    """The client's view of the provider must be current."""
    if given != rp.generation:
        raise Conflict(
            f"resource provider generation conflict: {rp.uuid} is at generation "
            f"{rp.generation}, the request says {given}. Please update the generation "
            "and try again.",
            code=CONCURRENT_UPDATE,
        )


async def delete_provider(s: AsyncSession, rp: Provider) -> None:
    """Remove a provider that has no allocations and no children."""
    if await s.scalar(select(exists().where(Allocation.resource_provider_id == rp.id))):
        raise Conflict(
            f"Unable to delete resource provider {rp.uuid}: Resource provider has allocations.",
            code=PROVIDER_IN_USE,
        )
    children = await s.scalar(
        select(func.count()).where(ResourceProvider.parent_provider_id == rp.id)
    )
    if children:
        raise Conflict(
            f"Unable to delete parent resource provider {rp.uuid}: It has child resource "
            "providers.",
            code=CANNOT_DELETE,
        )
    for model in (Inventory, ProviderAggregate, ProviderTrait):
        await s.execute(delete(model).where(model.resource_provider_id == rp.id))
    await s.execute(delete(ResourceProvider).where(ResourceProvider.id == rp.id))
