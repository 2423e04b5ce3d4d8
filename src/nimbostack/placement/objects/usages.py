"""Reading allocations and usages: per consumer, per provider, per project."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.placement.db.models import (
    Allocation,
    Consumer,
    ResourceClass,
    ResourceProvider,
)

UNKNOWN_TYPE = "unknown"


@dataclass
class ConsumerView:
    """A consumer's allocations keyed by provider uuid, and who owns them."""

    allocations: dict[str, dict[str, int]] = field(default_factory=dict)
    generations: dict[str, int] = field(default_factory=dict)
    project_id: str | None = None
    user_id: str | None = None
    generation: int | None = None
    consumer_type: str | None = None


async def for_consumer(s: AsyncSession, consumer: str) -> ConsumerView:
    view = ConsumerView()
    rows = await s.execute(
        select(
            ResourceProvider.uuid, ResourceProvider.generation, ResourceClass.name, Allocation.used
        )
        .join(ResourceProvider, ResourceProvider.id == Allocation.resource_provider_id)
        .join(ResourceClass, ResourceClass.id == Allocation.resource_class_id)
        .where(Allocation.consumer_id == consumer)
    )
    for rp, gen, rc, used in rows.all():
        view.allocations.setdefault(rp, {})[rc] = used
        view.generations[rp] = gen
    row = await s.scalar(select(Consumer).where(Consumer.uuid == consumer))
    if row is not None:
        view.project_id, view.user_id = row.project_id, row.user_id
        view.generation, view.consumer_type = row.generation, row.consumer_type
    return view


async def for_provider(s: AsyncSession, rp_id: int) -> dict[str, dict[str, int]]:
    rows = await s.execute(
        select(Allocation.consumer_id, ResourceClass.name, Allocation.used)
        .join(ResourceClass, ResourceClass.id == Allocation.resource_class_id)
        .where(Allocation.resource_provider_id == rp_id)
    )
    result: dict[str, dict[str, int]] = {}
    for consumer, rc, used in rows.all():
        resources = result.setdefault(consumer, {})
        resources[rc] = resources.get(rc, 0) + used
    return result


async def for_project(
    s: AsyncSession, project_id: str, user_id: str | None, consumer_type: str | None
) -> dict[str, dict[str, int]]:
    """Usage per consumer type (``unknown`` when untyped), with a consumer count each."""
    ctype = func.coalesce(Consumer.consumer_type, UNKNOWN_TYPE)
    query = (
        select(ctype, ResourceClass.name, func.sum(Allocation.used))
        .join(Consumer, Consumer.uuid == Allocation.consumer_id)
        .join(ResourceClass, ResourceClass.id == Allocation.resource_class_id)
        .where(Consumer.project_id == project_id)
        .group_by(ctype, ResourceClass.name)
    )
    counts = (
        select(ctype, func.count(Consumer.id))
        .where(Consumer.project_id == project_id)
        .group_by(ctype)
    )
    if user_id is not None:
        query = query.where(Consumer.user_id == user_id)
        counts = counts.where(Consumer.user_id == user_id)
    if consumer_type is not None and consumer_type != "all":
        query = query.where(ctype == consumer_type)
        counts = counts.where(ctype == consumer_type)
    result: dict[str, dict[str, int]] = {}
    for kind, rc, used in (await s.execute(query)).all():
        result.setdefault(kind, {})[rc] = int(used)
    for kind, count in (await s.execute(counts)).all():
        if kind in result:
            result[kind]["consumer_count"] = int(count)
    return result
