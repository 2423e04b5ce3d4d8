"""Statements that differ between SQLite and PostgreSQL: insert-if-absent and named locks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.network.db.models import Base, Lock


def _insert(s: AsyncSession, model: type[Base]) -> Insert:
    if s.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


async def insert_ignore(s: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose keys are not taken yet; how many were inserted.

    A row another transaction inserts meanwhile is skipped, not an error, so the
    caller's transaction stays usable on PostgreSQL. The count comes from RETURNING,
    which both databases report row by row (a rowcount may not be reported).
    """
    if not rows:
        return 0
    key = next(iter(inspect(model).primary_key))
    inserted = 0
    for row in rows:
        stmt = _insert(s, model).values(**row).returning(key)
        inserted += len((await s.execute(stmt)).all())
    return inserted


async def insert_many_ignore(
    s: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]
) -> None:
    """Insert the rows whose keys are not taken yet, in one statement (no count)."""
    if rows:
        await s.execute(_insert(s, model), list(rows))


async def lock(s: AsyncSession, name: str) -> None:
    """Hold the lock ``name`` until the transaction ends (a row lock on PostgreSQL).

    On SQLite each write transaction already runs alone, so nothing is needed there.
    """
    if s.get_bind().dialect.name != "postgresql":
        return
    await s.execute(_insert(s, Lock), [{"name": name}])
    await s.execute(select(Lock.name).where(Lock.name == name).with_for_update())
