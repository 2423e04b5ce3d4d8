"""Provider summaries for allocation candidates: capacity, usage, traits, tree uuids."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from nimbostack.placement.db.models import (
    Inventory,
    ProviderTrait,
    ResourceClass,
    ResourceProvider,
    Trait,
)
from nimbostack.placement.objects.filters import used_of

RP = ResourceProvider
_BATCH = 500
# Built once: aliasing a table copies its columns, which is costly per request.
_PARENT = aliased(RP, name="parent_rp")
_ROOT = aliased(RP, name="root_rp")


@dataclass
class Summary:
    uuid: str
    parent_uuid: str | None
    root_uuid: str
    resources: dict[str, dict[str, int]] = field(default_factory=dict)
    traits: list[str] = field(default_factory=list)


def _batches(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


async def load(
    s: AsyncSession, provider_ids: Iterable[int], only_classes: set[int] | None
) -> dict[int, Summary]:
    """Summaries keyed by provider id; ``only_classes`` limits the resources shown."""
    ids = sorted(set(provider_ids))
    result: dict[int, Summary] = {}
    parent, root = _PARENT, _ROOT
    for batch in _batches(ids):
        rows = await s.execute(
            select(RP.id, RP.uuid, parent.uuid, root.uuid)
            .outerjoin(parent, parent.id == RP.parent_provider_id)
            .join(root, root.id == RP.root_provider_id)
            .where(RP.id.in_(batch))
        )
        for pid, uuid, parent_uuid, root_uuid in rows.all():
            result[pid] = Summary(uuid, parent_uuid, root_uuid)
        await _resources(s, batch, only_classes, result)
        traits = await s.execute(
            select(ProviderTrait.resource_provider_id, Trait.name)
            .join(Trait, Trait.id == ProviderTrait.trait_id)
            .where(ProviderTrait.resource_provider_id.in_(batch))
            .order_by(Trait.name)
        )
        for pid, name in traits.all():
            result[pid].traits.append(name)
    return result


async def _resources(
    s: AsyncSession, batch: list[int], only: set[int] | None, result: dict[int, Summary]
) -> None:
    inv = Inventory
    query = (
        select(
            inv.resource_provider_id,
            ResourceClass.name,
            inv.total,
            inv.reserved,
            inv.allocation_ratio,
            used_of(inv.resource_provider_id, inv.resource_class_id),
        )
        .join(ResourceClass, ResourceClass.id == inv.resource_class_id)
        .where(inv.resource_provider_id.in_(batch))
    )
    if only is not None:
        query = query.where(inv.resource_class_id.in_(only))
    for pid, rc, total, reserved, ratio, used in (await s.execute(query)).all():
        capacity = int((total - reserved) * ratio)
        result[pid].resources[rc] = {"capacity": capacity, "used": int(used)}
