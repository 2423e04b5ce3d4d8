"""Grants: one role given to one user or group on one project, domain or the system."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.identity.db.models import Assignment

SYSTEM = "system"


@dataclass(frozen=True)
class GrantKey:
    """Who (``actor``: user or group) holds roles where (``target``: project, domain, system)."""

    actor: str  # "user" or "group"
    actor_id: str
    target: str  # "project", "domain" or "system"
    target_id: str
    inherited: bool = False

    @property
    def type(self) -> str:
        return f"{self.actor.capitalize()}{self.target.capitalize()}"

    def _where(self) -> list[ColumnElement[bool]]:
        return [
            Assignment.type == self.type,
            Assignment.actor_id == self.actor_id,
            Assignment.target_id == self.target_id,
            Assignment.inherited == self.inherited,
        ]


async def role_ids(session: AsyncSession, key: GrantKey) -> list[str]:
    rows = await session.scalars(select(Assignment.role_id).where(*key._where()))
    return list(rows)


async def exists(session: AsyncSession, key: GrantKey, role_id: str) -> bool:
    stmt = select(Assignment.role_id).where(*key._where(), Assignment.role_id == role_id)
    return bool(await session.scalar(stmt))


async def add(session: AsyncSession, key: GrantKey, role_id: str) -> None:
    """Grant the role; granting it again changes nothing."""
    if await exists(session, key, role_id):
        return
    session.add(
        Assignment(
            type=key.type,
            actor_id=key.actor_id,
            target_id=key.target_id,
            role_id=role_id,
            inherited=key.inherited,
        )
    )


async def remove(session: AsyncSession, key: GrantKey, role_id: str) -> None:
    await session.execute(delete(Assignment).where(*key._where(), Assignment.role_id == role_id))
