"""Compute quotas: the effective limits of a project and the check made before a build."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.compute.objects import quotas as store
from nimbostack.core.db import Database
from nimbostack.core.errors import BadRequest, Forbidden

# Resource name -> [compute] option holding its default.
DEFAULT_OPTIONS = {
    "instances": "quota_instances",
    "cores": "quota_cores",
    "ram": "quota_ram",
    "key_pairs": "quota_key_pairs",
    "server_groups": "quota_server_groups",
    "server_group_members": "quota_server_group_members",
    "metadata_items": "quota_metadata_items",
}
# Resources Nova still reports before 2.36 / 2.57, with their fixed defaults.
LEGACY_NETWORK = {
    "fixed_ips": -1,
    "floating_ips": 10,
    "security_groups": 10,
    "security_group_rules": 20,
}
LEGACY_FILES = {
    "injected_files": 5,
    "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
}


# A limit as a request may set it: -1 (unlimited) up to Nova's bound for SQL integers,
# as a JSON integer or a string of digits (checked again by limit_value).
MAX_LIMIT = 2**31 - 1
LIMIT_SCHEMA = {
    "type": ["integer", "string"],
    "pattern": "^-?[0-9]+$",
    "maxLength": len(str(MAX_LIMIT)) + 1,
    "minimum": -1,
    "maximum": MAX_LIMIT,
}


def limit_value(resource: str, raw: Any) -> int:
    """A requested limit as an integer; BadRequest unless from -1 to MAX_LIMIT."""
    value = int(raw)
    if not -1 <= value <= MAX_LIMIT:
        raise BadRequest(f"Quota limit {value} for {resource} must be from -1 to {MAX_LIMIT}.")
    return value


def configured(conf: Any) -> dict[str, int]:
    """The defaults from configuration alone."""
    return {name: int(conf.get(opt, -1)) for name, opt in DEFAULT_OPTIONS.items()}


async def class_limits(db: Database, conf: Any, name: str = "default") -> dict[str, int]:
    """A quota class's limits, legacy resources included, over the configured defaults."""
    found = {**configured(conf), **LEGACY_NETWORK, **LEGACY_FILES}
    found.update({k: v for k, v in (await store.class_overrides(db, name)).items() if k in found})
    return found


async def defaults(db: Database, conf: Any) -> dict[str, int]:
    """Every project's defaults: the "default" quota class over the configuration."""
    found = await class_limits(db, conf)
    return {name: found[name] for name in DEFAULT_OPTIONS}


async def limits(db: Database, conf: Any, project_id: str) -> dict[str, int]:
    """The project's limits: its overrides over the defaults."""
    found = await defaults(db, conf)
    found.update({k: v for k, v in (await store.overrides(db, project_id)).items() if k in found})
    return found


def _over(
    quota: dict[str, int], used: dict[str, int], count: int, flavor: dict[str, Any]
) -> tuple[list[str], dict[str, int]]:
    wanted = {r: count * each for r, each in _per_server(flavor).items()}
    over = [r for r, n in wanted.items() if quota[r] >= 0 and used[r] + n > quota[r]]
    return over, wanted


def _per_server(flavor: dict[str, Any]) -> dict[str, int]:
    return {"instances": 1, "cores": int(flavor["vcpus"]), "ram": int(flavor["memory_mb"])}


def room_for(quota: dict[str, int], used: dict[str, int], flavor: dict[str, Any], high: int) -> int:
    """How many more servers of ``flavor`` the quota allows, at most ``high``.

    Worked out from each resource's headroom, so the cost does not grow with ``high``.
    """
    room = high
    for resource, each in _per_server(flavor).items():
        if quota[resource] >= 0 and each > 0:
            room = min(room, max(0, quota[resource] - used[resource]) // each)
    return room


async def fitting_count(
    s: AsyncSession,
    quota: dict[str, int],
    project_id: str,
    low: int,
    high: int,
    *,
    flavor: dict[str, Any],
) -> int:
    """How many servers (between low and high) fit; Forbidden (Nova's words) if not low."""
    used = await store.instance_usage(s, project_id)
    count = room_for(quota, used, flavor, high)
    if count >= low:
        return count
    over, wanted = _over(quota, used, low, flavor)
    requested = ", ".join(str(wanted[r]) for r in over)
    usage = ", ".join(str(used[r]) for r in over)
    limit = ", ".join(str(quota[r]) for r in over)
    names = ", ".join(over)
    raise Forbidden(
        f"Quota exceeded for {names}: Requested {requested}, but already used "
        f"{usage} of {limit} {names}"
    )
