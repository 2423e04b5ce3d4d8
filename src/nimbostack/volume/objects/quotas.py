"""Quotas: limits per project and resource, and usage summed from what exists.

There are no usage counters and no reservations to drift: usage is counted from the
volumes, snapshots and backups rows themselves, in the write transaction that adds
the new row, after taking the project's lock row (``quota_locks``). Two checks for
one project therefore take turns on PostgreSQL as on SQLite (where every write
transaction already does), and a resource is counted the moment its row exists.
An extend in progress is counted at its new size (``volumes.pending_size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import RequestEntityTooLarge
from nimbostack.volume.db.models import Backup, Quota, QuotaLock, Snapshot, Volume, VolumeType

# Resource -> [volume] option with its default.
DEFAULT_OPTIONS = {
    "volumes": "quota_volumes",
    "snapshots": "quota_snapshots",
    "gigabytes": "quota_gigabytes",
    "backups": "quota_backups",
    "backup_gigabytes": "quota_backup_gigabytes",
    "per_volume_gigabytes": "per_volume_size_limit",
}
GROUPS_DEFAULT = 10
PER_TYPE = ("volumes", "gigabytes", "snapshots")
CLASS_PREFIX = "class:"


class OverQuota(RequestEntityTooLarge):
    """A request would take a project over one of its limits (Cinder answers 413)."""


@dataclass(frozen=True)
class Usage:
    """What a project uses now, per resource (per-type ones as ``volumes_<type>``)."""

    values: dict[str, int]

    def get(self, resource: str) -> int:
        return self.values.get(resource, 0)


def configured(conf: Any) -> dict[str, int]:
    found = {name: int(conf.get(opt, -1)) for name, opt in DEFAULT_OPTIONS.items()}
    found["groups"] = GROUPS_DEFAULT
    return found


async def _overrides(s: AsyncSession, owner: str) -> dict[str, int]:
    rows = await s.execute(
        select(Quota.resource, Quota.hard_limit).where(Quota.project_id == owner)
    )
    return {resource: limit for resource, limit in rows.all()}


async def type_names(s: AsyncSession) -> list[str]:
    return list((await s.scalars(select(VolumeType.name).order_by(VolumeType.name))).all())


async def class_limits(s: AsyncSession, conf: Any, name: str = "default") -> dict[str, int]:
    """A quota class's limits: per-type ones for every type, over the configuration."""
    found = configured(conf)
    for type_name in await type_names(s):
        for base in PER_TYPE:
            found[f"{base}_{type_name}"] = -1
    found.update(await _overrides(s, CLASS_PREFIX + name))
    return found


async def limits(s: AsyncSession, conf: Any, project_id: str) -> dict[str, int]:
    """The project's limits: its own over the default class's."""
    found = await class_limits(s, conf)
    found.update({k: v for k, v in (await _overrides(s, project_id)).items() if k in found})
    return found


async def set_limits(s: AsyncSession, owner: str, values: dict[str, int]) -> None:
    for resource, value in values.items():
        found = await s.get(Quota, (owner, resource))
        if found is None:
            s.add(Quota(project_id=owner, resource=resource, hard_limit=value))
        else:
            found.hard_limit = value


async def clear(s: AsyncSession, project_id: str) -> None:
    await s.execute(delete(Quota).where(Quota.project_id == project_id))


async def lock(s: AsyncSession, project_id: str) -> None:
    """Hold the project's quota lock until the transaction ends (SQLite: already held)."""
    if s.get_bind().dialect.name == "sqlite":
        return  # every write transaction is BEGIN IMMEDIATE: one at a time
    stmt = select(QuotaLock).where(QuotaLock.project_id == project_id).with_for_update()
    if await s.scalar(stmt) is None:
        try:
            async with s.begin_nested():
                s.add(QuotaLock(project_id=project_id))
        except IntegrityError:
            pass  # made by a concurrent check: lock it below
        await s.scalar(stmt)


async def usage(s: AsyncSession, project_id: str) -> Usage:
    """Counts and GiB of the project's volumes, snapshots and backups, overall and per type."""
    found: dict[str, int] = {}
    size = func.coalesce(Volume.pending_size, Volume.size)
    vol_rows = await s.execute(
        select(VolumeType.name, func.count(), func.coalesce(func.sum(size), 0))
        .join(VolumeType, VolumeType.id == Volume.volume_type_id)
        .where(Volume.project_id == project_id, Volume.use_quota.is_(True))
        .group_by(VolumeType.name)
    )
    for name, count, gigabytes in vol_rows.all():
        _add(found, "volumes", name, int(count))
        _add(found, "gigabytes", name, int(gigabytes))
    snap_rows = await s.execute(
        select(VolumeType.name, func.count(), func.coalesce(func.sum(Snapshot.volume_size), 0))
        .join(VolumeType, VolumeType.id == Snapshot.volume_type_id, isouter=True)
        .where(Snapshot.project_id == project_id, Snapshot.use_quota.is_(True))
        .group_by(VolumeType.name)
    )
    for name, count, gigabytes in snap_rows.all():
        _add(found, "snapshots", name, int(count))
        _add(found, "gigabytes", name, int(gigabytes))
    backups = await s.execute(
        select(func.count(), func.coalesce(func.sum(Backup.size), 0)).where(
            Backup.project_id == project_id
        )
    )
    count, gigabytes = backups.one()
    found["backups"], found["backup_gigabytes"] = int(count), int(gigabytes)
    return Usage(found)


def _add(found: dict[str, int], base: str, type_name: str | None, amount: int) -> None:
    found[base] = found.get(base, 0) + amount
    if type_name:
        key = f"{base}_{type_name}"
        found[key] = found.get(key, 0) + amount


async def check(
    s: AsyncSession, conf: Any, project_id: str, wanted: dict[str, int], type_name: str | None
) -> None:
    """Lock the project and raise OverQuota unless ``wanted`` more fits its limits.

    ``wanted`` counts by resource (``volumes``, ``gigabytes``...); the per-type
    resources of ``type_name`` are checked with the same amounts. Only the limits and
    usage of the resources asked about are read.
    """
    await lock(s, project_id)
    quota = await _limits_of(s, conf, project_id)
    per_volume = quota.get("per_volume_gigabytes", -1)
    if "volumes" in wanted and 0 <= per_volume < wanted.get("gigabytes", 0):
        raise OverQuota(
            f"Requested volume size {wanted['gigabytes']}G is larger than maximum "
            f"allowed limit {per_volume}G."
        )
    checks = []
    for base, amount in wanted.items():
        if amount > 0:
            checks.append((base, base, amount))
            if type_name and base in PER_TYPE:
                checks.append((base, f"{base}_{type_name}", amount))
    checks = [c for c in checks if quota.get(c[1], -1) >= 0]
    if not checks:
        return
    used = await _usage_of(s, project_id, {name for _base, name, _n in checks})
    for base, resource, amount in checks:
        limit = quota[resource]
        if used.get(resource, 0) + amount > limit:
            raise OverQuota(_message(base, resource, amount, used.get(resource, 0), limit))


async def _limits_of(s: AsyncSession, conf: Any, project_id: str) -> dict[str, int]:
    """Configured defaults under the default class's and the project's own (one query)."""
    found = configured(conf)
    rows = await s.execute(
        select(Quota.project_id, Quota.resource, Quota.hard_limit).where(
            Quota.project_id.in_([CLASS_PREFIX + "default", project_id])
        )
    )
    ordered = sorted(rows.all(), key=lambda row: row[0] == project_id)
    found.update({resource: limit for _owner, resource, limit in ordered})
    return found


def _split(name: str) -> tuple[str, str | None]:
    """``gigabytes_gold`` -> (``gigabytes``, ``gold``); ``backups`` -> (``backups``, None)."""
    for base in PER_TYPE:
        if name.startswith(f"{base}_"):
            return base, name[len(base) + 1 :]
    return name, None


async def _usage_of(s: AsyncSession, project_id: str, names: set[str]) -> dict[str, int]:
    """Usage of just these resources (overall and per type), in at most three queries."""
    wanted = [_split(n) for n in names]
    bases = {base for base, _t in wanted}
    typed = sorted({t for _b, t in wanted if t})
    found: dict[str, int] = {}
    if bases & {"volumes", "gigabytes"}:
        size = func.coalesce(Volume.pending_size, Volume.size)
        where = [Volume.project_id == project_id, Volume.use_quota.is_(True)]
        await _count(s, found, Volume, size=size, base="volumes", typed=typed, where=where)
    if bases & {"snapshots", "gigabytes"}:
        where = [Snapshot.project_id == project_id, Snapshot.use_quota.is_(True)]
        await _count(
            s,
            found,
            Snapshot,
            size=Snapshot.volume_size,
            base="snapshots",
            typed=typed,
            where=where,
        )
    if bases & {"backups", "backup_gigabytes"}:
        row = await s.execute(
            select(func.count(), func.coalesce(func.sum(Backup.size), 0)).where(
                Backup.project_id == project_id
            )
        )
        found["backups"], found["backup_gigabytes"] = (int(x) for x in row.one())
    return found


async def _count(
    s: AsyncSession,
    found: dict[str, int],
    model: Any,
    *,
    size: Any,
    base: str,
    typed: list[str],
    where: list[Any],
) -> None:
    """Add a count (``base``) and GiB (``gigabytes``) of ``model`` rows, also per type."""
    columns: list[Any] = [func.count(), func.coalesce(func.sum(size), 0)]
    for name in typed:
        is_type = VolumeType.name == name
        columns += [
            func.coalesce(func.sum(case((is_type, 1), else_=0)), 0),
            func.coalesce(func.sum(case((is_type, size), else_=0)), 0),
        ]
    stmt = select(*columns).select_from(model).where(*where)
    if typed:
        stmt = stmt.join(VolumeType, VolumeType.id == model.volume_type_id, isouter=True)
    row = [int(x or 0) for x in (await s.execute(stmt)).one()]
    found[base] = found.get(base, 0) + row[0]
    found["gigabytes"] = found.get("gigabytes", 0) + row[1]
    for i, name in enumerate(typed):
        for key, value in (
            (f"{base}_{name}", row[2 + 2 * i]),
            (f"gigabytes_{name}", row[3 + 2 * i]),
        ):
            found[key] = found.get(key, 0) + value


def _message(base: str, resource: str, amount: int, used: int, limit: int) -> str:
    if base in ("gigabytes", "backup_gigabytes"):
        what = "backup" if base == "backup_gigabytes" else "volume or snapshot"
        return (
            f"Requested {what} exceeds allowed {resource} quota. Requested {amount}G, "
            f"quota is {limit}G and {used}G has been consumed."
        )
    return f"Maximum number of {base} allowed ({limit}) exceeded for quota '{resource}'."
