"""Traits: the global list of names, and the traits each provider has."""

from __future__ import annotations

import time

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.placement.db.models import ProviderTrait, Trait
from nimbostack.placement.objects import names
from nimbostack.placement.objects.providers import Provider, bump


async def list_traits(
    s: AsyncSession, in_names: list[str] | None, prefix: str | None, associated: bool | None
) -> list[str]:
    query = select(Trait.name).order_by(Trait.name)
    if in_names is not None:
        query = query.where(Trait.name.in_(in_names))
    if prefix is not None:
        query = query.where(Trait.name.startswith(prefix, autoescape=True))
    if associated is not None:
        used = exists().where(ProviderTrait.trait_id == Trait.id)
        query = query.where(used if associated else ~used)
    return list((await s.scalars(query)).all())


async def exists_named(s: AsyncSession, name: str) -> bool:
    return (await s.scalar(select(Trait.id).where(Trait.name == name))) is not None


async def create(s: AsyncSession, name: str) -> bool:
    """Create a custom trait; False if it already existed."""
    names.check_custom(name, "trait name")
    if await exists_named(s, name):
        return False
    now = time.time()
    try:
        async with s.begin_nested():
            s.add(Trait(name=name, created_at=now, updated_at=now))
    except IntegrityError:
        return False  # created by a concurrent request since the check
    return True


async def delete_trait(s: AsyncSession, name: str) -> None:
    trait_id = await s.scalar(select(Trait.id).where(Trait.name == name))
    if trait_id is None:
        raise NotFound(f"No such trait(s): {name}")
    if not names.CUSTOM_RE.match(name):
        raise BadRequest(f"Cannot delete standard trait {name}.")
    if await s.scalar(select(exists().where(ProviderTrait.trait_id == trait_id))):
        raise Conflict(f"The trait {name} is in use by a resource provider.")
    await s.execute(delete(Trait).where(Trait.id == trait_id))


async def of_provider(s: AsyncSession, rp_id: int) -> list[str]:
    rows = await s.scalars(
        select(Trait.name)
        .join(ProviderTrait, ProviderTrait.trait_id == Trait.id)
        .where(ProviderTrait.resource_provider_id == rp_id)
        .order_by(Trait.name)
    )
    return list(rows.all())


async def replace(s: AsyncSession, rp: Provider, wanted: list[str]) -> list[str]:
    """Set the provider's traits to exactly ``wanted`` (all must exist) and bump it."""
    ids = await names.trait_ids(s, wanted)
    await s.execute(delete(ProviderTrait).where(ProviderTrait.resource_provider_id == rp.id))
    if ids:
        # One statement for the lot: ORM objects cost a tenth of a millisecond each.
        rows = [{"resource_provider_id": rp.id, "trait_id": i} for i in ids.values()]
        await s.execute(insert(ProviderTrait), rows)
    await bump(s, rp)
    return sorted(ids)
