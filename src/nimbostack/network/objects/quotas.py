"""Quotas: each project's limits, its usage counted in SQL, and the check before a create.

``check`` runs inside the create's own write transaction: it takes the project's quota
lock (a row lock on PostgreSQL; SQLite write transactions already run one at a time),
counts what the project has, and refuses with 409 ``OverQuota`` before anything is
written, so concurrent creates can never together exceed a limit and a refused create
leaves nothing behind.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import String, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.config import Config
from nimbostack.network.db.models import (
    Base,
    FloatingIP,
    Network,
    Port,
    Quota,
    RbacEntry,
    Router,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    SubnetPool,
)
from nimbostack.network.db.sql import lock
from nimbostack.network.errors import OverQuota

# Resource name (as the API shows it) -> the table whose rows count against it.
RESOURCES: dict[str, type[Base]] = {
    "network": Network,
    "subnet": Subnet,
    "subnetpool": SubnetPool,
    "port": Port,
    "router": Router,
    "floatingip": FloatingIP,
    "security_group": SecurityGroup,
    "security_group_rule": SecurityGroupRule,
    "rbac_policy": RbacEntry,
}


def defaults(conf: Config) -> dict[str, int]:
    return {name: int(conf.network.get(f"quota_{name}")) for name in RESOURCES}


async def overrides(s: AsyncSession, project_id: str) -> dict[str, int]:
    rows = await s.execute(
        select(Quota.resource, Quota.limit).where(Quota.project_id == project_id)
    )
    return {resource: limit for resource, limit in rows if resource in RESOURCES}


async def limits(s: AsyncSession, conf: Config, project_id: str) -> dict[str, int]:
    return {**defaults(conf), **await overrides(s, project_id)}


async def usage(s: AsyncSession, project_id: str, names: list[str] | None = None) -> dict[str, int]:
    """How many of each resource the project has (one COUNT per resource)."""
    found = {}
    for name in names or list(RESOURCES):
        model: Any = RESOURCES[name]
        found[name] = int(
            await s.scalar(select(func.count()).where(model.project_id == project_id)) or 0
        )
    return found


@functools.cache
def _limits_and_counts(names: tuple[str, ...]) -> Any:
    """Each resource's override and the project's count of it, in one statement."""
    project = bindparam("project_id", type_=String)
    columns = []
    for name in names:
        model: Any = RESOURCES[name]
        override = select(Quota.limit).where(Quota.project_id == project, Quota.resource == name)
        count = select(func.count()).select_from(model).where(model.project_id == project)
        columns += [override.scalar_subquery(), count.scalar_subquery()]
    return select(*columns)


async def lock_project(s: AsyncSession, project_id: str) -> None:
    """Hold the project's quota lock: its creates and its limit changes take turns."""
    await lock(s, f"quota:{project_id}")


async def check(s: AsyncSession, conf: Config, project_id: str, wanted: dict[str, int]) -> None:
    """Refuse (409 OverQuota) unless ``wanted`` more of each resource fit the limits."""
    await lock_project(s, project_id)
    names = tuple(wanted)
    row = (await s.execute(_limits_and_counts(names), {"project_id": project_id})).one()
    configured = defaults(conf)
    over = []
    for index, name in enumerate(names):
        override, used = row[2 * index], row[2 * index + 1]
        limit = configured[name] if override is None else override
        if limit >= 0 and used + wanted[name] > limit:
            over.append(name)
    if over:
        raise OverQuota(overs=sorted(over))


async def set_limits(s: AsyncSession, project_id: str, values: dict[str, int]) -> None:
    """Replace the project's limits of ``values`` (the caller holds its quota lock)."""
    for resource, value in values.items():
        await s.execute(
            delete(Quota).where(Quota.project_id == project_id, Quota.resource == resource)
        )
        s.add(Quota(project_id=project_id, resource=resource, limit=value))
    await s.flush()


async def reset(s: AsyncSession, project_id: str) -> None:
    await s.execute(delete(Quota).where(Quota.project_id == project_id))


async def projects_with_overrides(s: AsyncSession) -> list[str]:
    rows = await s.scalars(select(Quota.project_id).distinct().order_by(Quota.project_id))
    return list(rows)
