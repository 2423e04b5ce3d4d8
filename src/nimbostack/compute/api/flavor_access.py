"""Private flavor access: list, addTenantAccess, removeTenantAccess."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.compute.api.deps import state_of
from nimbostack.compute.objects import flavors
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.errors import BadRequest, Conflict

TENANT = {
    "type": "object",
    "properties": {"tenant": {"type": "string", "minLength": 1, "maxLength": 255}},
    "required": ["tenant"],
    "additionalProperties": False,
}
ACTION_SCHEMA = {
    "type": "object",
    "properties": {"addTenantAccess": TENANT, "removeTenantAccess": TENANT},
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
}


def _body(flavorid: str, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavorid, "tenant_id": p} for p in projects]}


async def list_flavor_access(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-access", {"project_id": req.context.project_id})
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"))
    if flavor.is_public:
        raise flavors_public(flavor.flavorid)
    return json_response(
        _body(flavor.flavorid, await flavors.access_list(state.db, flavor.flavorid))
    )


def flavors_public(flavorid: str) -> Exception:
    from nimbostack.core.errors import NotFound

    return NotFound("Access list not available for public flavors.")


async def flavor_action(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json(ACTION_SCHEMA)
    # Policy first: a caller who may not change access learns nothing about the flavor.
    if "addTenantAccess" in body:
        req.enforce("os_compute_api:os-flavor-access:add_tenant_access")
    else:
        req.enforce("os_compute_api:os-flavor-access:remove_tenant_access")
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"))
    if "addTenantAccess" in body:
        if flavor.is_public:
            raise Conflict("Can not add access to a public flavor.")
        await flavors.access_add(state.db, flavor.flavorid, body["addTenantAccess"]["tenant"])
    else:
        if flavor.is_public:
            raise BadRequest("Can not remove access from a public flavor.")
        await flavors.access_remove(state.db, flavor.flavorid, body["removeTenantAccess"]["tenant"])
    return json_response(
        _body(flavor.flavorid, await flavors.access_list(state.db, flavor.flavorid))
    )
