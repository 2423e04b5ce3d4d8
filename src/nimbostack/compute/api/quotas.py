"""``os-quota-sets``: show, defaults, detail, update (admin), delete (admin)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import quota_limits as quota_rules
from nimbostack.compute.api.deps import ApiState, compute_conf, state_of
from nimbostack.compute.objects import quotas as store
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response


def _legacy(version: Version) -> dict[str, int]:
    extra: dict[str, int] = {}
    if not version.matches("2.36"):
        extra.update(quota_rules.LEGACY_NETWORK)
    if not version.matches("2.57"):
        extra.update(quota_rules.LEGACY_FILES)
    return extra


def _body(req: ApiRequest, project_id: str, limits: dict[str, int]) -> dict[str, Any]:
    return {"quota_set": {"id": project_id, **limits, **_legacy(req.version or Version(2, 1))}}


def _target(req: ApiRequest) -> dict[str, Any]:
    return {"project_id": req.param("project_id")}


async def show_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-quota-sets:show", _target(req))
    project_id = req.param("project_id")
    limits = await quota_rules.limits(state.db, compute_conf(state), project_id)
    return json_response(_body(req, project_id, limits))


async def show_quota_defaults(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-quota-sets:defaults", _target(req))
    project_id = req.param("project_id")
    found = await quota_rules.defaults(state.db, compute_conf(state))
    return json_response(_body(req, project_id, found))


async def _detail(state: ApiState, project_id: str, user_id: str | None) -> dict[str, Any]:
    limits = await quota_rules.limits(state.db, compute_conf(state), project_id)
    used = await store.usage(state.db, project_id, user_id)
    return {
        name: {"limit": limit, "in_use": used.get(name, 0), "reserved": 0}
        for name, limit in limits.items()
    }


async def show_quota_detail(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-quota-sets:detail", _target(req))
    project_id = req.param("project_id")
    detail = await _detail(state, project_id, req.query.get("user_id") or req.context.user_id)
    version = req.version or Version(2, 1)
    for name, value in _legacy(version).items():
        detail[name] = {"limit": value, "in_use": 0, "reserved": 0}
    return json_response({"quota_set": {"id": project_id, **detail}})


def _update_schema(version: Version) -> dict[str, Any]:
    names = [*quota_rules.DEFAULT_OPTIONS, *_legacy(version)]
    value = quota_rules.LIMIT_SCHEMA
    return {
        "type": "object",
        "properties": {
            "quota_set": {
                "type": "object",
                "properties": {
                    **{n: value for n in names},
                    "force": {"type": ["boolean", "string"]},
                },
                "additionalProperties": False,
            }
        },
        "required": ["quota_set"],
        "additionalProperties": False,
    }


async def update_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-quota-sets:update", _target(req))
    version = req.version or Version(2, 1)
    body = (await req.json(_update_schema(version)))["quota_set"]
    project_id = req.param("project_id")
    wanted: dict[str, int] = {}
    for name, raw in body.items():
        if name == "force" or name not in quota_rules.DEFAULT_OPTIONS:
            continue
        wanted[name] = quota_rules.limit_value(name, raw)
    await store.set_limits(state.db, project_id, wanted)
    limits = await quota_rules.limits(state.db, compute_conf(state), project_id)
    shown = {**limits, **_legacy(version)}
    return json_response({"quota_set": shown})


async def delete_quota_set(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-quota-sets:delete", _target(req))
    await store.clear(state.db, req.param("project_id"))
    return empty(202)
