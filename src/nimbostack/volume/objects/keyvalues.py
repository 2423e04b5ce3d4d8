"""Key/value rows owned by one record: volume and snapshot metadata, image metadata,
extra specs and QoS keys. Every write runs in the caller's write transaction, after
locking the owner's row, so two writes to one owner's keys take turns (a delete and
re-insert of the same key racing another would otherwise collide)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.volume.db.models import (
    QosSpecs,
    QosSpecValue,
    Snapshot,
    SnapshotMetadata,
    Volume,
    VolumeImageMetadata,
    VolumeMetadata,
    VolumeType,
    VolumeTypeExtraSpec,
)


@dataclass(frozen=True)
class Table:
    """A key/value table, the column naming its owner, and the owner's table."""

    model: Any
    owner: str
    parent: Any

    def owner_col(self) -> Any:
        return getattr(self.model, self.owner)


VOLUME_METADATA = Table(VolumeMetadata, "volume_id", Volume)
IMAGE_METADATA = Table(VolumeImageMetadata, "volume_id", Volume)
SNAPSHOT_METADATA = Table(SnapshotMetadata, "snapshot_id", Snapshot)
EXTRA_SPECS = Table(VolumeTypeExtraSpec, "type_id", VolumeType)
QOS_VALUES = Table(QosSpecValue, "qos_id", QosSpecs)


async def _lock_owner(s: AsyncSession, table: Table, owner: str) -> None:
    await s.execute(select(table.parent.id).where(table.parent.id == owner).with_for_update())


async def read(s: AsyncSession, table: Table, owner: str) -> dict[str, str]:
    rows = await s.execute(
        select(table.model.key, table.model.value).where(table.owner_col() == owner)
    )
    return {key: value for key, value in rows.all()}


async def merge(s: AsyncSession, table: Table, owner: str, items: dict[str, str]) -> None:
    """Set these keys, keeping the others."""
    if not items:
        return
    await _lock_owner(s, table, owner)
    await s.execute(
        delete(table.model).where(table.owner_col() == owner, table.model.key.in_(list(items)))
    )
    s.add_all(table.model(**{table.owner: owner}, key=k, value=v) for k, v in items.items())
    await s.flush()


async def replace(s: AsyncSession, table: Table, owner: str, items: dict[str, str]) -> None:
    """Make these the only keys."""
    await _lock_owner(s, table, owner)
    await s.execute(delete(table.model).where(table.owner_col() == owner))
    s.add_all(table.model(**{table.owner: owner}, key=k, value=v) for k, v in items.items())
    await s.flush()


async def remove(s: AsyncSession, table: Table, owner: str, key: str) -> bool:
    """Delete one key; False if it was not there."""
    await _lock_owner(s, table, owner)
    result = await s.execute(
        delete(table.model).where(table.owner_col() == owner, table.model.key == key)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
