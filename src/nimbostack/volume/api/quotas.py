"""``/os-quota-sets`` and ``/os-quota-class-sets``: limits per project (and class), with
usage (``?usage=true``) counted from what exists, and ``/limits``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.api.schema import MAX_INT
from nimbostack.core.errors import BadRequest
from nimbostack.volume.api.schemas import wrapped
from nimbostack.volume.objects import quotas
from nimbostack.volume.state import state_of

QUOTA_SET = wrapped(
    "quota_set",
    {
        "type": "object",
        "patternProperties": {
            "^[a-zA-Z0-9-_:. ]{1,255}$": {
                "type": ["integer", "string"],
                "pattern": "^-?[0-9]+$",
                "minimum": -1,
                "maximum": MAX_INT,
            }
        },
        "additionalProperties": False,
    },
)
QUOTA_CLASS_SET = wrapped("quota_class_set", QUOTA_SET["properties"]["quota_set"])
IGNORED = {"id", "tenant_id"}


def _project(req: ApiRequest) -> str:
    return req.param("target_project_id")


async def show_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    project = _project(req)
    req.enforce("volume_extension:quotas:show", {"project_id": project})
    usage = req.query_bool("usage")
    async with state.db.reader() as s:
        limits = await quotas.limits(s, state.options, project)
        used = await quotas.usage(s, project) if usage else None
    body: dict[str, Any] = {"id": project}
    for resource, limit in limits.items():
        if used is None:
            body[resource] = limit
        else:
            body[resource] = {"limit": limit, "in_use": used.get(resource), "reserved": 0}
    return json_response({"quota_set": body})


async def show_default_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    project = _project(req)
    req.enforce("volume_extension:quotas:show", {"project_id": project})
    async with state.db.reader() as s:
        limits = await quotas.class_limits(s, state.options)
    return json_response({"quota_set": {"id": project, **limits}})


def _values(wanted: dict[str, Any], known: dict[str, int]) -> dict[str, int]:
    values = {k: int(v) for k, v in wanted.items() if k not in IGNORED}
    bad = sorted(set(values) - set(known))
    if bad:
        raise BadRequest(f"Bad key(s) in quota set: {', '.join(bad)}")
    low = [k for k, v in values.items() if v < -1]
    if low:
        raise BadRequest(f"Quota limit must be -1 or greater: {', '.join(low)}")
    return values


async def update_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    project = _project(req)
    req.enforce("volume_extension:quotas:update", {"project_id": project})
    wanted = (await req.json(QUOTA_SET))["quota_set"]
    async with state.db.session() as s:
        values = _values(wanted, await quotas.limits(s, state.options, project))
        await quotas.set_limits(s, project, values)
        limits = await quotas.limits(s, state.options, project)
    return json_response({"quota_set": limits})


async def delete_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    project = _project(req)
    req.enforce("volume_extension:quotas:delete", {"project_id": project})
    async with state.db.session() as s:
        await quotas.clear(s, project)
    return json_response({}, 200)


async def show_quota_class_set(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:quota_classes:get")
    name = req.param("class_name")
    async with state.db.reader() as s:
        limits = await quotas.class_limits(s, state.options, name)
    return json_response({"quota_class_set": {"id": name, **limits}})


async def update_quota_class_set(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("volume_extension:quota_classes:update")
    name = req.param("class_name")
    wanted = (await req.json(QUOTA_CLASS_SET))["quota_class_set"]
    async with state.db.session() as s:
        values = _values(wanted, await quotas.class_limits(s, state.options, name))
        await quotas.set_limits(s, quotas.CLASS_PREFIX + name, values)
        limits = await quotas.class_limits(s, state.options, name)
    return json_response({"quota_class_set": limits})


async def show_limits(req: ApiRequest) -> Response:
    state = state_of(req)
    project = req.context.project_id or ""
    if req.context.is_admin and req.query.get("project_id"):
        project = str(req.query["project_id"])
    req.enforce("limits_extension:used_limits", {"project_id": project})
    async with state.db.reader() as s:
        limits = await quotas.limits(s, state.options, project)
        used = await quotas.usage(s, project)
    absolute = {
        "maxTotalVolumes": limits["volumes"],
        "maxTotalSnapshots": limits["snapshots"],
        "maxTotalVolumeGigabytes": limits["gigabytes"],
        "maxTotalBackups": limits["backups"],
        "maxTotalBackupGigabytes": limits["backup_gigabytes"],
        "totalVolumesUsed": used.get("volumes"),
        "totalGigabytesUsed": used.get("gigabytes"),
        "totalSnapshotsUsed": used.get("snapshots"),
        "totalBackupsUsed": used.get("backups"),
        "totalBackupGigabytesUsed": used.get("backup_gigabytes"),
    }
    return json_response({"limits": {"rate": [], "absolute": absolute}})
