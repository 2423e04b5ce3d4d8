"""Per-project quota overrides, the usage they are checked against, and quota locks.

A quota check counts what is used and then adds to it. Two such checks of one project
running at once (PostgreSQL, READ COMMITTED) would both count the same usage and
both add, overshooting the limit; so each starts by taking the project's lock row
(``SELECT ... FOR UPDATE`` on ``quota_locks``), held until its transaction ends, and
then counts what the previous holder committed. On SQLite the write transaction
already excludes the others; the row costs one statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.db.models import Instance, KeyPair, Quota, QuotaLock, ServerGroup
from nimbostack.compute.objects import instances
from nimbostack.core.db import Database

# Quota classes share the quotas table: a class's limits are stored under this prefix in
# place of a project id (project ids are hex, so they never collide).
CLASS_PREFIX = "class:"
CLASS_NAME_MAX = 64 - len(CLASS_PREFIX)


def _ensure_lock_row(dialect: str, owner: str) -> Any:
    """INSERT of the lock row that does nothing if it exists (waiting for its inserter)."""
    if dialect == "postgresql":
        return postgresql.insert(QuotaLock).values(owner=owner).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(QuotaLock).values(owner=owner).on_conflict_do_nothing()
    return insert(QuotaLock).values(owner=owner).prefix_with("IGNORE")  # MySQL


async def lock_owner(s: AsyncSession, owner: str) -> None:
    """Hold the quota lock of ``owner`` ("project:<id>", "user:<id>") until the commit."""
    await s.execute(_ensure_lock_row(s.get_bind().dialect.name, owner))
    await s.execute(select(QuotaLock.owner).where(QuotaLock.owner == owner).with_for_update())


async def lock_project(s: AsyncSession, project_id: str) -> None:
    await lock_owner(s, f"project:{project_id}")


async def overrides(db: Database, project_id: str) -> dict[str, int]:
    async with db.reader() as s:
        rows = await s.execute(
            select(Quota.resource, Quota.hard_limit).where(Quota.project_id == project_id)
        )
        return {resource: limit for resource, limit in rows.all()}


async def set_limits(db: Database, project_id: str, limits: dict[str, int]) -> None:
    async with db.session() as s:
        # Two first-time settings of a resource would both insert its row.
        await lock_project(s, project_id)
        for resource, value in limits.items():
            found = await s.get(Quota, (project_id, resource))
            if found is None:
                s.add(Quota(project_id=project_id, resource=resource, hard_limit=value))
            else:
                found.hard_limit = value


async def class_overrides(db: Database, name: str) -> dict[str, int]:
    return await overrides(db, CLASS_PREFIX + name)


async def set_class_limits(db: Database, name: str, limits: dict[str, int]) -> None:
    await set_limits(db, CLASS_PREFIX + name, limits)


async def clear(db: Database, project_id: str) -> None:
    async with db.session() as s:
        await s.execute(delete(Quota).where(Quota.project_id == project_id))


async def instance_usage(s: AsyncSession, project_id: str) -> dict[str, int]:
    """instances, cores and ram in use by a project's undeleted servers."""
    totals = await instances.flavor_totals(s, Instance.project_id == project_id)
    return {"instances": totals["count"], "cores": totals["vcpus"], "ram": totals["memory_mb"]}


async def usage(db: Database, project_id: str, user_id: str | None) -> dict[str, int]:
    async with db.session() as s:
        used = await instance_usage(s, project_id)
        groups = await s.scalar(select(func.count()).where(ServerGroup.project_id == project_id))
        used["server_groups"] = int(groups or 0)
        keys = 0
        if user_id:
            keys = int(await s.scalar(select(func.count()).where(KeyPair.user_id == user_id)) or 0)
        used["key_pairs"] = keys
    return used
