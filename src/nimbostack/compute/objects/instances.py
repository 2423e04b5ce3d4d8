"""Instances: read, update with a task-state guard, and the record sent over the bus."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Instance
from nimbostack.compute.instance_record import BlockDevice, InstanceRecord
from nimbostack.compute.messages import InstanceNotFound, UnexpectedTaskState
from nimbostack.compute.network_info import decode

# Columns an instance record carries; "metadata" (the model's metadata_) is added apart.
_FIELDS = [c.name for c in Instance.__table__.columns if c.name != "metadata"]
_UPDATABLE = set(_FIELDS) - {"uuid", "project_id", "user_id", "created_at"}


async def flavor_totals(session: AsyncSession, *where: ColumnElement[bool]) -> dict[str, int]:
    """Count and flavor sums (vcpus, memory_mb, root_gb, ephemeral_gb) of undeleted instances.

    Summed by the database from the flavor snapshots, so a project or host with
    thousands of servers costs one row, not thousands of decoded flavors.
    """
    keys = ("vcpus", "memory_mb", "root_gb", "ephemeral_gb")
    sums = [func.coalesce(func.sum(Instance.flavor[k].as_integer()), 0) for k in keys]
    stmt = select(func.count(), *sums).where(Instance.deleted.is_(False), *where)
    row = (await session.execute(stmt)).one()
    return {"count": int(row[0]), **{k: int(v) for k, v in zip(keys, row[1:], strict=True)}}


def to_record(instance: Instance, devices: tuple[BlockDevice, ...] = ()) -> InstanceRecord:
    """The instance as the conductor hands it to agents, with its volumes if given."""
    data: dict[str, Any] = {name: getattr(instance, name) for name in _FIELDS}
    data["metadata"] = dict(instance.metadata_ or {})
    data["network_info"] = decode(instance.network_info)
    return InstanceRecord(**data, block_device_mappings=devices)


async def get(session: AsyncSession, uuid: str, *, read_deleted: bool = False) -> Instance:
    """The instance, or InstanceNotFound (also for deleted ones unless asked)."""
    instance = await session.get(Instance, uuid)
    if instance is None or (instance.deleted and not read_deleted):
        raise InstanceNotFound(f"Instance {uuid} could not be found.")
    return instance


async def get_for_update(session: AsyncSession, uuid: str) -> Instance:
    """The instance with its row locked until the transaction ends (no-op on SQLite)."""
    instance = await session.scalar(select(Instance).where(Instance.uuid == uuid).with_for_update())
    if instance is None or instance.deleted:
        raise InstanceNotFound(f"Instance {uuid} could not be found.")
    return instance


def merged_system_metadata(
    current: dict[str, Any] | None, changes: dict[str, Any]
) -> dict[str, Any]:
    """``system_metadata`` after ``changes``: keys set, or removed where the value is None.

    Its writers (API, conductor, agents) each own a few keys, so they send changes,
    never the whole dict they read earlier: a whole dict would undo a concurrent change.
    """
    meta = dict(current or {})
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


def apply(
    instance: Instance,
    values: dict[str, Any],
    expected_task_state: list[str | None] | None = None,
) -> None:
    """Set ``values`` on the instance; refuse if its task_state is not an expected one.

    ``system_metadata`` in ``values`` holds changes (see merged_system_metadata).
    """
    if expected_task_state is not None and instance.task_state not in expected_task_state:
        raise UnexpectedTaskState(
            f"Instance {instance.uuid}: task_state is {instance.task_state!r}, "
            f"expected one of {expected_task_state!r}"
        )
    for key, value in values.items():
        attr = "metadata_" if key == "metadata" else key
        if attr not in _UPDATABLE and attr != "metadata_":
            raise ValueError(f"instance field {key!r} cannot be updated")
        if attr == "system_metadata":
            value = merged_system_metadata(instance.system_metadata, value)
        setattr(instance, attr, value)
    instance.updated_at = time.time()


async def update(
    session: AsyncSession,
    uuid: str,
    values: dict[str, Any],
    expected_task_state: list[str | None] | None = None,
) -> Instance:
    """Guarded update inside the caller's transaction; returns the instance."""
    instance = await get_for_update(session, uuid)
    apply(instance, values, expected_task_state)
    return instance
