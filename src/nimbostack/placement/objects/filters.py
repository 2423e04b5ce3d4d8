"""Provider filters shared by provider listing and allocation candidates, as SQL.

A ``RequestGroup`` is one group of a request (the unnamed one, or ``resources1=``…).
Every condition here is a correlated EXISTS on ``resource_providers.id``, so the
database evaluates them with its indexes rather than shipping rows to Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from nimbostack.placement.db.models import (
    Allocation,
    Inventory,
    ProviderAggregate,
    ProviderTrait,
    ResourceProvider,
)


@dataclass
class RequestGroup:
    """What one group asks for: resources, traits and aggregate membership."""

    suffix: str = ""
    resources: dict[str, int] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    any_of: list[set[str]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    member_of: list[set[str]] = field(default_factory=list)
    forbidden_aggs: set[str] = field(default_factory=set)

    def trait_names(self) -> set[str]:
        return self.required | self.forbidden | {t for group in self.any_of for t in group}


def used_of(rp_id: Any, rc_id: Any) -> ColumnElement[int]:
    # Any: callers pass mapped attributes of an alias or of the model itself.
    """Correlated total of what is allocated of one class on one provider."""
    return (
        select(func.coalesce(func.sum(Allocation.used), 0))
        .where(Allocation.resource_provider_id == rp_id, Allocation.resource_class_id == rc_id)
        .scalar_subquery()
    )


def fits(inv: type[Inventory], amount: int) -> ColumnElement[bool]:
    """The inventory row could take ``amount`` more: capacity, min/max unit, step."""
    capacity = (inv.total - inv.reserved) * inv.allocation_ratio
    return and_(
        inv.min_unit <= amount,
        inv.max_unit >= amount,
        (amount % inv.step_size) == 0,
        capacity >= used_of(inv.resource_provider_id, inv.resource_class_id) + amount,
    )


def has_capacity(rc_id: int, amount: int) -> ColumnElement[bool]:
    inv = aliased(Inventory)
    return exists().where(
        inv.resource_provider_id == ResourceProvider.id,
        inv.resource_class_id == rc_id,
        fits(inv, amount),
    )


def has_trait(trait_ids: list[int], rp: ColumnElement[int] | None = None) -> ColumnElement[bool]:
    target = ResourceProvider.id if rp is None else rp
    return exists().where(
        ProviderTrait.resource_provider_id == target, ProviderTrait.trait_id.in_(trait_ids)
    )


def in_aggregates(uuids: set[str]) -> ColumnElement[bool]:
    """The provider, or the root of its tree, is in one of the aggregates."""
    return exists().where(
        or_(
            ProviderAggregate.resource_provider_id == ResourceProvider.id,
            ProviderAggregate.resource_provider_id == ResourceProvider.root_provider_id,
        ),
        ProviderAggregate.aggregate_uuid.in_(uuids),
    )


def provider_traits(
    group: RequestGroup, traits: dict[str, int], *, include_required: bool = True
) -> list[ColumnElement[bool]]:
    """Conditions that the provider itself has (or lacks) the group's traits."""
    conds: list[ColumnElement[bool]] = []
    if include_required:
        conds += [has_trait([traits[t]]) for t in sorted(group.required)]
        conds += [has_trait([traits[t] for t in sorted(any_)]) for any_ in group.any_of]
    if group.forbidden:
        conds.append(~has_trait([traits[t] for t in sorted(group.forbidden)]))
    return conds


def aggregates(group: RequestGroup) -> list[ColumnElement[bool]]:
    conds = [in_aggregates(members) for members in group.member_of]
    if group.forbidden_aggs:
        conds.append(~in_aggregates(group.forbidden_aggs))
    return conds


def provider_conditions(
    group: RequestGroup, classes: dict[str, int], traits: dict[str, int]
) -> list[ColumnElement[bool]]:
    """Everything one provider must satisfy on its own to serve ``group``."""
    conds = [has_capacity(classes[rc], n) for rc, n in sorted(group.resources.items())]
    return conds + provider_traits(group, traits) + aggregates(group)
