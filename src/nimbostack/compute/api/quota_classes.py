"""``os-quota-class-sets``: show and update quota classes ("default" is every project's)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute import quota_limits as quota_rules
from nimbostack.compute.api.deps import compute_conf, state_of
from nimbostack.compute.objects import quotas as store
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest

_GROUPS = ("server_groups", "server_group_members")


def shown_resources(version: Version) -> list[str]:
    """The resources a quota class shows at ``version`` (2.50 and 2.57 change them)."""
    names = list(quota_rules.DEFAULT_OPTIONS)
    if not version.matches("2.50"):
        names = [n for n in names if n not in _GROUPS] + list(quota_rules.LEGACY_NETWORK)
    if not version.matches("2.57"):
        names += list(quota_rules.LEGACY_FILES)
    return names


def _class_name(req: ApiRequest) -> str:
    name = req.param("class_name")
    if len(name) > store.CLASS_NAME_MAX:
        raise BadRequest(f"Quota class name is longer than {store.CLASS_NAME_MAX} characters.")
    return name


async def _values(req: ApiRequest, name: str) -> dict[str, int]:
    state = state_of(req)
    found = await quota_rules.class_limits(state.db, compute_conf(state), name)
    return {n: found[n] for n in shown_resources(req.version or Version(2, 1))}


async def show_quota_class_set(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-quota-class-sets:show")
    name = _class_name(req)
    return json_response({"quota_class_set": {"id": name, **await _values(req, name)}})


def _update_schema(version: Version) -> dict[str, Any]:
    value = quota_rules.LIMIT_SCHEMA
    return {
        "type": "object",
        "properties": {
            "quota_class_set": {
                "type": "object",
                "properties": {n: value for n in shown_resources(version)},
                "additionalProperties": False,
            }
        },
        "required": ["quota_class_set"],
        "additionalProperties": False,
    }


async def update_quota_class_set(req: ApiRequest) -> Response:
    req.enforce("os_compute_api:os-quota-class-sets:update")
    name = _class_name(req)
    body = (await req.json(_update_schema(req.version or Version(2, 1))))["quota_class_set"]
    wanted = {resource: quota_rules.limit_value(resource, raw) for resource, raw in body.items()}
    await store.set_class_limits(state_of(req).db, name, wanted)
    return json_response({"quota_class_set": await _values(req, name)})
