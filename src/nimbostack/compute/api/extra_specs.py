"""Flavor extra specs: ``/flavors/{id}/os-extra_specs[/{key}]``.

Changes merge into the specs read with the flavor's row locked, in the transaction
that writes them: concurrent changes of different keys all land.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from nimbostack.compute.api.deps import state_of
from nimbostack.compute.objects import flavors
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, NotFound

_KEY = re.compile(r"^[\w.:-]{1,255}$")
SCHEMA = {
    "type": "object",
    "properties": {"extra_specs": {"type": "object"}},
    "required": ["extra_specs"],
    "additionalProperties": False,
}


def _checked(specs: dict[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for key, value in specs.items():
        if not _KEY.match(key):
            raise BadRequest(f"Invalid input for field 'extra_specs': invalid key {key!r}")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadRequest(f"Invalid input for field 'extra_specs.{key}': must be a string")
        text = str(value)
        if len(text) > 255:
            raise BadRequest(f"Invalid input for field 'extra_specs.{key}': too long")
        clean[key] = text
    return clean


async def list_extra_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce(
        "os_compute_api:os-flavor-extra-specs:index", {"project_id": req.context.project_id}
    )
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"))
    return json_response({"extra_specs": dict(flavor.extra_specs or {})})


async def create_extra_specs(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-extra-specs:create")
    specs = _checked((await req.json(SCHEMA))["extra_specs"])
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"), for_update=True)
        flavor.extra_specs = {**(flavor.extra_specs or {}), **specs}
    return json_response({"extra_specs": specs})


async def show_extra_spec(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-extra-specs:show", {"project_id": req.context.project_id})
    key = req.param("key")
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"))
    if key not in (flavor.extra_specs or {}):
        raise NotFound(f"Flavor {flavor.flavorid} has no extra specs with key {key}.")
    return json_response({key: flavor.extra_specs[key]})


async def update_extra_spec(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-extra-specs:update")
    key = req.param("key")
    body = await req.json({"type": "object", "minProperties": 1, "maxProperties": 1})
    if key not in body:
        raise BadRequest("Request body and URI mismatch")
    specs = _checked(body)
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"), for_update=True)
        flavor.extra_specs = {**(flavor.extra_specs or {}), **specs}
    return json_response(specs)


async def delete_extra_spec(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("os_compute_api:os-flavor-extra-specs:delete")
    key = req.param("key")
    async with state.db.session() as s:
        flavor = await flavors.get(s, req.context, req.param("flavor_id"), for_update=True)
        specs = dict(flavor.extra_specs or {})
        if key not in specs:
            raise NotFound(f"Flavor {flavor.flavorid} has no extra specs with key {key}.")
        del specs[key]
        flavor.extra_specs = specs
    return empty(200)
