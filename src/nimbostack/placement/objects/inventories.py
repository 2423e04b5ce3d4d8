"""Inventories of a provider: read, replace, create one, delete, with usage checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, Conflict, NotFound
from nimbostack.placement.db.models import Allocation, Inventory, ResourceClass
from nimbostack.placement.objects import names
from nimbostack.placement.objects.providers import Provider, bump

MAX_INT = 2147483647
INVENTORY_IN_USE = "placement.inventory.inuse"


@dataclass
class InventoryData:
    """One resource class's inventory on one provider."""

    total: int
    reserved: int = 0
    min_unit: int = 1
    max_unit: int = MAX_INT
    step_size: int = 1
    allocation_ratio: float = 1.0

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> InventoryData:
        fields = {k: body[k] for k in cls.__dataclass_fields__ if k in body}
        return cls(**fields)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def capacity(self) -> int:
        return int((self.total - self.reserved) * self.allocation_ratio)

    def check(self, rc: str, reserved_may_equal_total: bool) -> None:
        """Reject inventories that could never be allocated from."""
        if self.reserved > self.total or (
            self.reserved == self.total and not reserved_may_equal_total
        ):
            raise BadRequest(
                f"Unable to update inventory for resource class {rc}: reserved "
                f"({self.reserved}) must be less than total ({self.total})."
            )
        if self.min_unit > self.max_unit:
            raise BadRequest(
                f"Unable to update inventory for resource class {rc}: min_unit "
                f"({self.min_unit}) must be less than or equal to max_unit ({self.max_unit})."
            )


async def load(s: AsyncSession, rp_id: int) -> dict[str, InventoryData]:
    rows = await s.execute(
        select(Inventory, ResourceClass.name)
        .join(ResourceClass, ResourceClass.id == Inventory.resource_class_id)
        .where(Inventory.resource_provider_id == rp_id)
    )
    return {name: _data(inv) for inv, name in rows.all()}


def _data(inv: Inventory) -> InventoryData:
    return InventoryData(
        inv.total, inv.reserved, inv.min_unit, inv.max_unit, inv.step_size, inv.allocation_ratio
    )


async def used_by_class(s: AsyncSession, rp_id: int) -> dict[str, int]:
    rows = await s.execute(
        select(ResourceClass.name, func.sum(Allocation.used))
        .join(ResourceClass, ResourceClass.id == Allocation.resource_class_id)
        .where(Allocation.resource_provider_id == rp_id)
        .group_by(ResourceClass.name)
    )
    return {name: int(used) for name, used in rows.all()}


async def _refuse_in_use(s: AsyncSession, rp: Provider, removed: set[str]) -> None:
    used = await used_by_class(s, rp.id)
    busy = sorted(rc for rc in removed if used.get(rc))
    if busy:
        raise Conflict(
            f"Inventory for '{', '.join(busy)}' on resource provider '{rp.uuid}' in use.",
            code=INVENTORY_IN_USE,
        )


async def replace_all(
    s: AsyncSession, rp: Provider, wanted: dict[str, InventoryData]
) -> dict[str, InventoryData]:
    """Make ``wanted`` the provider's whole inventory and bump its generation."""
    ids = await names.class_ids(s, wanted)
    current = await load(s, rp.id)
    await _refuse_in_use(s, rp, set(current) - set(wanted))
    await s.execute(delete(Inventory).where(Inventory.resource_provider_id == rp.id))
    for rc, data in wanted.items():
        s.add(Inventory(resource_provider_id=rp.id, resource_class_id=ids[rc], **data.as_dict()))
    await s.flush()
    await bump(s, rp)
    return wanted


async def put_one(
    s: AsyncSession, rp: Provider, rc: str, data: InventoryData, *, create: bool
) -> None:
    """Create (POST) or update (PUT) one class's inventory and bump the generation."""
    current = await load(s, rp.id)
    if create and rc in current:
        raise Conflict(f"Update conflict: inventory for {rc} on provider {rp.uuid} exists.")
    if not create and rc not in current:
        raise BadRequest(f"No inventory record with resource class {rc} for provider {rp.uuid}")
    wanted = {**current, rc: data}
    await replace_all(s, rp, wanted)


async def delete_one(s: AsyncSession, rp: Provider, rc: str) -> None:
    current = await load(s, rp.id)
    if rc not in current:
        raise NotFound(f"No inventory of class {rc} found for resource provider {rp.uuid}")
    await replace_all(s, rp, {k: v for k, v in current.items() if k != rc})
