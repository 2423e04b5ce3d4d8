"""Segmentation ids as one row per id with an ``allocated`` flag (VLAN and VXLAN tables).

Taking an id is one conditional UPDATE (``allocated`` false to true): two creates that
pick the same free id cannot both win, on SQLite or PostgreSQL, and the loser just
picks again. An id outside the configured ranges (an admin's provider network) gets a
row only while it is taken.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from nimbostack.network.db.models import Base
from nimbostack.network.db.sql import insert_ignore, insert_many_ignore

Ranges = dict[str | None, list[tuple[int, int]]]
_ATTEMPTS = 20
_CHUNK = 2000


class IdPool:
    """The ids of one allocation table, per physical network (or one pool: key None)."""

    def __init__(
        self,
        model: type[Base],
        id_column: InstrumentedAttribute[int],
        physnet_column: InstrumentedAttribute[str] | None,
        ranges: Ranges,
    ) -> None:
        self.model = model
        self.id_column = id_column
        self.physnet_column = physnet_column
        self.ranges = ranges
        self.allocated: InstrumentedAttribute[bool] = model.allocated  # type: ignore[attr-defined]

    def in_ranges(self, physnet: str | None, seg_id: int) -> bool:
        return any(low <= seg_id <= high for low, high in self.ranges.get(physnet, []))

    def _key(self, physnet: str | None, seg_id: int) -> ColumnElement[bool]:
        cond = self.id_column == seg_id
        if self.physnet_column is not None:
            cond = and_(cond, self.physnet_column == physnet)
        return cond

    def _row(self, physnet: str | None, seg_id: int, allocated: bool) -> dict[str, Any]:
        row: dict[str, Any] = {self.id_column.key: seg_id, "allocated": allocated}
        if self.physnet_column is not None:
            row[self.physnet_column.key] = physnet
        return row

    async def take(self, s: AsyncSession, physnet: str | None, seg_id: int) -> bool:
        """Take one given id; False if it is in use."""
        if await self._take_free(s, physnet, seg_id):
            return True
        exists = await s.scalar(select(self.id_column).where(self._key(physnet, seg_id)))
        if exists is not None:
            return False
        return await insert_ignore(s, self.model, [self._row(physnet, seg_id, True)]) == 1

    async def take_any(
        self, s: AsyncSession, physnets: Iterable[str | None]
    ) -> tuple[str | None, int] | None:
        """Take the lowest free id of the given physical networks; None if all are taken."""
        wanted = list(physnets)
        for _ in range(_ATTEMPTS):
            found = await self._first_free(s, wanted)
            if found is None:
                return None
            if await self._take_free(s, *found):
                return found
        return None

    async def _first_free(
        self, s: AsyncSession, physnets: list[str | None]
    ) -> tuple[str | None, int] | None:
        cols: list[Any] = [self.id_column]
        cond: ColumnElement[bool] = true()
        if self.physnet_column is not None:
            cols.insert(0, self.physnet_column)
            cond = self.physnet_column.in_([p for p in physnets if p is not None])
        stmt = select(*cols).where(cond, self.allocated.is_(False)).order_by(*cols).limit(1)
        row = (await s.execute(stmt)).first()
        if row is None:
            return None
        return (row[0], row[1]) if self.physnet_column is not None else (None, row[0])

    async def _take_free(self, s: AsyncSession, physnet: str | None, seg_id: int) -> bool:
        result = await s.execute(
            update(self.model)
            .where(self._key(physnet, seg_id), self.allocated.is_(False))
            .values(allocated=True)
        )
        return getattr(result, "rowcount", 0) == 1

    async def give_back(self, s: AsyncSession, physnet: str | None, seg_id: int) -> None:
        if self.in_ranges(physnet, seg_id):
            await s.execute(
                update(self.model).where(self._key(physnet, seg_id)).values(allocated=False)
            )
        else:
            await s.execute(delete(self.model).where(self._key(physnet, seg_id)))

    async def sync(self, s: AsyncSession) -> None:
        """Add rows for new ranges; drop free rows no range covers any more."""
        for physnet, spans in self.ranges.items():
            wanted = {n for low, high in spans for n in range(low, high + 1)}
            have = set(await s.scalars(self._ids_of(physnet)))
            missing = sorted(wanted - have)
            for start in range(0, len(missing), _CHUNK):
                chunk = missing[start : start + _CHUNK]
                rows = [self._row(physnet, n, False) for n in chunk]
                await insert_many_ignore(s, self.model, rows)
            stale = await s.scalars(self._ids_of(physnet).where(self.allocated.is_(False)))
            drop = [n for n in stale if n not in wanted]
            for start in range(0, len(drop), _CHUNK):
                chunk = drop[start : start + _CHUNK]
                await s.execute(delete(self.model).where(self._in(physnet, chunk)))
        if self.physnet_column is not None:
            await s.execute(
                delete(self.model).where(
                    self.physnet_column.not_in([p for p in self.ranges if p is not None]),
                    self.allocated.is_(False),
                )
            )

    def _ids_of(self, physnet: str | None) -> Any:
        stmt = select(self.id_column)
        if self.physnet_column is not None:
            stmt = stmt.where(self.physnet_column == physnet)
        return stmt

    def _in(self, physnet: str | None, ids: list[int]) -> ColumnElement[bool]:
        cond: ColumnElement[bool] = self.id_column.in_(ids)
        if self.physnet_column is not None:
            cond = and_(cond, self.physnet_column == physnet)
        return cond
