"""Handlers for /resource_providers/{uuid}/inventories[/{resource_class}]."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.core.errors import NotFound
from nimbostack.placement.api.params import at_least
from nimbostack.placement.objects import inventories, names, providers
from nimbostack.placement.objects.inventories import MAX_INT, InventoryData
from nimbostack.placement.state import state_of

_INT = {"type": "integer", "maximum": MAX_INT}
_FIELDS: dict[str, Any] = {
    "total": {**_INT, "minimum": 1},
    "reserved": {**_INT, "minimum": 0},
    "min_unit": {**_INT, "minimum": 1},
    "max_unit": {**_INT, "minimum": 1},
    "step_size": {**_INT, "minimum": 1},
    "allocation_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 3.40282e38},
}
_GEN = {"type": "integer", "minimum": 0}
_ONE = {
    "type": "object",
    "properties": _FIELDS,
    "required": ["total"],
    "additionalProperties": False,
}
PUT_ALL = {
    "type": "object",
    "properties": {
        "resource_provider_generation": _GEN,
        "inventories": {
            "type": "object",
            "patternProperties": {"^[A-Z0-9_]+$": _ONE},
            "additionalProperties": False,
        },
    },
    "required": ["resource_provider_generation", "inventories"],
    "additionalProperties": False,
}
PUT_ONE = {
    "type": "object",
    "properties": {"resource_provider_generation": _GEN, **_FIELDS},
    "required": ["resource_provider_generation", "total"],
    "additionalProperties": False,
}
POST_ONE = {
    "type": "object",
    "properties": {
        "resource_class": {"type": "string", "pattern": "^[A-Z0-9_]+$"},
        "resource_provider_generation": _GEN,
        **_FIELDS,
    },
    "required": ["resource_class", "total"],
    "additionalProperties": False,
}


def _inventories_body(rp: providers.Provider, inv: dict[str, InventoryData]) -> dict[str, Any]:
    return {
        "inventories": {rc: data.as_dict() for rc, data in inv.items()},
        "resource_provider_generation": rp.generation,
    }


def _one_body(rp: providers.Provider, data: InventoryData) -> dict[str, Any]:
    return {**data.as_dict(), "resource_provider_generation": rp.generation}


def _data(req: ApiRequest, rc: str, body: dict[str, Any]) -> InventoryData:
    data = InventoryData.from_body(body)
    data.check(rc, reserved_may_equal_total=at_least(req, "1.26"))
    return data


async def list_inventories(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:list")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        inv = await inventories.load(s, rp.id)
    return json_response(_inventories_body(rp, inv))


async def replace_inventories(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:update")
    body = await req.json(PUT_ALL)
    wanted = {rc: _data(req, rc, item) for rc, item in body["inventories"].items()}
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        providers.check_generation(rp, body["resource_provider_generation"])
        inv = await inventories.replace_all(s, rp, wanted)
    return json_response(_inventories_body(rp, inv))


async def create_inventory(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:create")
    body = await req.json(POST_ONE)
    rc = body["resource_class"]
    data = _data(req, rc, body)
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        if "resource_provider_generation" in body:
            providers.check_generation(rp, body["resource_provider_generation"])
        await names.class_ids(s, [rc])
        await inventories.put_one(s, rp, rc, data, create=True)
    headers = {"Location": f"/resource_providers/{rp.uuid}/inventories/{url_segment(rc)}"}
    return json_response(_one_body(rp, data), 201, headers)


async def show_inventory(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:show")
    rc = req.param("resource_class")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        inv = await inventories.load(s, rp.id)
    if rc not in inv:
        raise NotFound(f"No inventory of class {rc} for {rp.uuid}")
    return json_response(_one_body(rp, inv[rc]))


async def update_inventory(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:update")
    body = await req.json(PUT_ONE)
    rc = req.param("resource_class")
    data = _data(req, rc, body)
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        providers.check_generation(rp, body["resource_provider_generation"])
        await names.class_ids(s, [rc])
        await inventories.put_one(s, rp, rc, data, create=False)
    return json_response(_one_body(rp, data))


async def delete_inventory(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:delete")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        await inventories.delete_one(s, rp, req.param("resource_class"))
    return empty(204)


async def delete_inventories(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:inventories:delete")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        await inventories.replace_all(s, rp, {})
    return empty(204)
