"""Row locks for read-modify-write in one transaction: ``SELECT ... FOR UPDATE``.

A row read and then written back in one transaction can still lose a concurrent
update on PostgreSQL (READ COMMITTED: both transactions read the old row) unless it
is read FOR UPDATE, which makes the second reader wait for the first to commit and
then see its write. On SQLite a write transaction already holds the whole database
(BEGIN IMMEDIATE) and FOR UPDATE is not rendered.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def get_for_update(session: AsyncSession, model: type[T], ident: Any) -> T | None:
    """The row with primary key ``ident``, locked until the transaction ends (or None)."""
    return await session.get(model, ident, with_for_update=True, populate_existing=True)
