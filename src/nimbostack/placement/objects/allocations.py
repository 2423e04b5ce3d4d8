"""Allocation writes: atomic, capacity-checked, guarded by provider and consumer generations.

A write bumps every touched provider's generation with a conditional UPDATE before it
reads usage. The bump takes the provider rows' write locks (PostgreSQL) or the database
write lock (SQLite), so the capacity check that follows cannot race another claim; a
bump that finds the generation moved means another claim got in first, and the whole
write is retried from scratch.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.db import Database
from nimbostack.core.errors import BadRequest, Conflict
from nimbostack.placement.db.models import (
    Allocation,
    Consumer,
    Inventory,
    ResourceProvider,
)
from nimbostack.placement.objects import names
from nimbostack.placement.objects.filters import used_of
from nimbostack.placement.objects.providers import CONCURRENT_UPDATE

UNCHECKED = -1  # consumer_generation before 1.28: the client does not send one
_CONSUMERS_PER_TURN = 10


class _ProviderRace(Exception):
    """A provider's generation moved between our read and our bump: retry."""


@dataclass
class ConsumerWrite:
    """The allocations one consumer should hold after the write (empty: none)."""

    consumer: str
    allocations: dict[str, dict[str, int]]
    project_id: str | None = None
    user_id: str | None = None
    generation: int | None = UNCHECKED
    consumer_type: str | None = None
    providers: dict[str, int] = field(default_factory=dict)


async def write(db: Database, items: list[ConsumerWrite], retries: int) -> None:
    """Replace the allocations of every consumer in ``items`` in one transaction."""
    for attempt in range(retries + 1):
        try:
            async with db.session() as s:
                await _write_once(s, items)
            return
        except (_ProviderRace, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "locked" not in str(exc):
                raise
            await asyncio.sleep(0.005 * (attempt + 1))
    raise Conflict(
        "Unable to allocate inventory: another process changed the resource providers "
        "at the same time. Please retry.",
        code=CONCURRENT_UPDATE,
    )


async def _write_once(s: AsyncSession, items: list[ConsumerWrite]) -> None:
    rp_uuids = {rp for item in items for rp in item.allocations}
    classes = {rc for item in items for res in item.allocations.values() for rc in res}
    rc_ids = await names.class_ids(s, classes)
    providers = await _providers(s, rp_uuids)
    consumers = [item.consumer for item in items]
    old = await s.execute(
        select(Allocation.resource_provider_id).where(Allocation.consumer_id.in_(consumers))
    )
    touched = {pid for pid, _ in providers.values()} | {pid for (pid,) in old.all()}
    await _bump_providers(s, touched, providers)
    for index, item in enumerate(items, 1):
        await _save_consumer(s, item)
        if index % _CONSUMERS_PER_TURN == 0:
            # On SQLite statements run on the event loop: a POST of hundreds of
            # consumers lets other requests in between (the write lock is still ours).
            await asyncio.sleep(0)
    await s.execute(delete(Allocation).where(Allocation.consumer_id.in_(consumers)))
    await _check_capacity(s, items, providers, rc_ids)
    now = time.time()
    rows = [
        {
            "resource_provider_id": providers[rp][0],
            "consumer_id": item.consumer,
            "resource_class_id": rc_ids[rc],
            "used": amount,
            "created_at": now,
        }
        for item in items
        for rp, resources in item.allocations.items()
        for rc, amount in resources.items()
    ]
    if rows:
        await s.execute(insert(Allocation), rows)


async def _providers(s: AsyncSession, uuids: set[str]) -> dict[str, tuple[int, int]]:
    """uuid → (id, generation); an unknown provider is a 400."""
    if not uuids:
        return {}
    rows = await s.execute(
        select(ResourceProvider.uuid, ResourceProvider.id, ResourceProvider.generation).where(
            ResourceProvider.uuid.in_(uuids)
        )
    )
    found = {uuid: (id_, gen) for uuid, id_, gen in rows.all()}
    for uuid in sorted(uuids - found.keys()):
        raise BadRequest(f"Allocation for resource provider '{uuid}' that does not exist.")
    return found


async def _bump_providers(
    s: AsyncSession, ids: set[int], known: dict[str, tuple[int, int]]
) -> None:
    generations = {id_: gen for id_, gen in known.values()}
    missing = ids - generations.keys()
    if missing:
        rows = await s.execute(
            select(ResourceProvider.id, ResourceProvider.generation).where(
                ResourceProvider.id.in_(missing)
            )
        )
        generations.update({id_: gen for id_, gen in rows.all()})
    # Sorted, so two writers lock providers in the same order and cannot deadlock.
    for id_ in sorted(generations):
        result = await s.execute(
            update(ResourceProvider)
            .where(ResourceProvider.id == id_, ResourceProvider.generation == generations[id_])
            .values(generation=ResourceProvider.generation + 1)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _ProviderRace()


async def _save_consumer(s: AsyncSession, item: ConsumerWrite) -> None:
    row = await s.scalar(select(Consumer).where(Consumer.uuid == item.consumer))
    if item.generation != UNCHECKED:
        have = row.generation if row else None
        if have != item.generation:
            raise Conflict(
                f"consumer generation conflict - expected {item.generation!r} but got {have!r}",
                code=CONCURRENT_UPDATE,
            )
    if not item.allocations:
        if row is not None:
            await s.execute(delete(Consumer).where(Consumer.id == row.id))
        return
    now = time.time()
    if row is None:
        s.add(
            Consumer(
                uuid=item.consumer,
                project_id=item.project_id or "",
                user_id=item.user_id or "",
                consumer_type=item.consumer_type,
                generation=0,
                created_at=now,
                updated_at=now,
            )
        )
        await s.flush()
        return
    values: dict[str, object] = {"updated_at": now, "generation": row.generation + 1}
    if item.project_id:
        values.update(project_id=item.project_id, user_id=item.user_id or row.user_id)
    if item.consumer_type:
        values["consumer_type"] = item.consumer_type
    result = await s.execute(
        update(Consumer)
        .where(Consumer.id == row.id, Consumer.generation == row.generation)
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _ProviderRace()


async def _check_capacity(
    s: AsyncSession,
    items: list[ConsumerWrite],
    providers: dict[str, tuple[int, int]],
    rc_ids: dict[str, int],
) -> None:
    wanted: dict[tuple[str, str], int] = {}
    for item in items:
        for rp, resources in item.allocations.items():
            for rc, amount in resources.items():
                wanted[(rp, rc)] = wanted.get((rp, rc), 0) + amount
    if not wanted:
        return
    inv = Inventory
    rows = await s.execute(
        select(
            inv.resource_provider_id,
            inv.resource_class_id,
            inv.total,
            inv.reserved,
            inv.allocation_ratio,
            inv.min_unit,
            inv.max_unit,
            inv.step_size,
            used_of(inv.resource_provider_id, inv.resource_class_id),
        ).where(
            inv.resource_provider_id.in_({providers[rp][0] for rp, _ in wanted}),
            inv.resource_class_id.in_({rc_ids[rc] for _, rc in wanted}),
        )
    )
    found = {(row[0], row[1]): row for row in rows.all()}
    for (rp, rc), amount in sorted(wanted.items()):
        row = found.get((providers[rp][0], rc_ids[rc]))
        if row is None:
            raise Conflict(
                f"Unable to allocate inventory: Inventory for '{rc}' on resource provider "
                f"'{rp}' invalid."
            )
        _, _, total, reserved, ratio, min_unit, max_unit, step = row[:8]
        _check_constraints(min_unit, max_unit, step, rp, rc, amount)
        used = int(row[8] or 0)
        capacity = int((total - reserved) * ratio)
        if used + amount > capacity:
            raise Conflict(
                f"Unable to allocate inventory: Unable to create allocation for '{rc}' on "
                f"resource provider '{rp}'. The requested amount would exceed the capacity "
                f"(capacity {capacity}, used {used}, requested {amount})."
            )


def _check_constraints(  # noqa: PLR0917
    min_unit: int, max_unit: int, step: int, rp: str, rc: str, amount: int
) -> None:
    problem = ""
    if amount < min_unit:
        problem = f"below min_unit {min_unit}"
    elif amount > max_unit:
        problem = f"above max_unit {max_unit}"
    elif amount % step:
        problem = f"not a multiple of step_size {step}"
    if problem:
        raise Conflict(
            f"Unable to allocate inventory: Unable to allocate {amount} {rc} on resource "
            f"provider '{rp}': the amount is {problem}."
        )
