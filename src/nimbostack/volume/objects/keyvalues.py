"""Key/value rows owned by one record: volume and snapshot metadata, image metadata,
extra specs and QoS keys. Every write runs in the caller's write transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.volume.db.models import (
    QosSpecValue,
    SnapshotMetadata,
    VolumeImageMetadata,
    VolumeMetadata,
    VolumeTypeExtraSpec,
)


@dataclass(frozen=True)
class Table:
    """A key/value table and the column naming its owner."""

    model: Any
    owner: str

    def owner_col(self) -> Any:
        return getattr(self.model, self.owner)


VOLUME_METADATA = Table(VolumeMetadata, "volume_id")
IMAGE_METADATA = Table(VolumeImageMetadata, "volume_id")
SNAPSHOT_METADATA = Table(SnapshotMetadata, "snapshot_id")
EXTRA_SPECS = Table(VolumeTypeExtraSpec, "type_id")
QOS_VALUES = Table(QosSpecValue, "qos_id")


async def read(s: AsyncSession, table: Table, owner: str) -> dict[str, str]:
    rows = await s.execute(
        select(table.model.key, table.model.value).where(table.owner_col() == owner)
    )
    return {key: value for key, value in rows.all()}


async def merge(s: AsyncSession, table: Table, owner: str, items: dict[str, str]) -> None:
    """Set these keys, keeping the others."""
    if not items:
        return
    await s.execute(
        delete(table.model).where(table.owner_col() == owner, table.model.key.in_(list(items)))
    )
    s.add_all(table.model(**{table.owner: owner}, key=k, value=v) for k, v in items.items())
    await s.flush()


async def replace(s: AsyncSession, table: Table, owner: str, items: dict[str, str]) -> None:
    """Make these the only keys."""
    await s.execute(delete(table.model).where(table.owner_col() == owner))
    s.add_all(table.model(**{table.owner: owner}, key=k, value=v) for k, v in items.items())
    await s.flush()


async def remove(s: AsyncSession, table: Table, owner: str, key: str) -> bool:
    """Delete one key; False if it was not there."""
    result = await s.execute(
        delete(table.model).where(table.owner_col() == owner, table.model.key == key)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
