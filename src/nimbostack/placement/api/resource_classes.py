"""Handlers for /resource_classes and /resource_classes/{name}."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.placement.api.params import at_least
from nimbostack.placement.objects import resource_classes
from nimbostack.placement.state import state_of

NAME_BODY = {
    "type": "object",
    "properties": {"name": {"type": "string", "pattern": "^CUSTOM_[A-Z0-9_]+$", "maxLength": 255}},
    "required": ["name"],
    "additionalProperties": False,
}


def _body(name: str) -> dict[str, Any]:
    return {"name": name, "links": [{"rel": "self", "href": f"/resource_classes/{name}"}]}


async def list_resource_classes(req: ApiRequest) -> Response:
    req.enforce("placement:resource_classes:list")
    async with state_of(req).db.session() as s:
        found = await resource_classes.list_names(s)
    return json_response({"resource_classes": [_body(n) for n in found]})


async def create_resource_class(req: ApiRequest) -> Response:
    req.enforce("placement:resource_classes:create")
    body = await req.json(NAME_BODY)
    async with state_of(req).db.session() as s:
        await resource_classes.create(s, body["name"], exist_ok=False)
    return empty(201, {"Location": f"/resource_classes/{url_segment(body['name'])}"})


async def show_resource_class(req: ApiRequest) -> Response:
    req.enforce("placement:resource_classes:show")
    name = req.param("name")
    async with state_of(req).db.session() as s:
        await resource_classes.get_id(s, name)
    return json_response(_body(name))


async def update_resource_class(req: ApiRequest) -> Response:
    """Rename before 1.7; from 1.7 an idempotent create without a body."""
    req.enforce("placement:resource_classes:update")
    name = req.param("name")
    if at_least(req, "1.7"):
        async with state_of(req).db.session() as s:
            created = await resource_classes.create(s, name, exist_ok=True)
        return empty(
            201 if created else 204, {"Location": f"/resource_classes/{url_segment(name)}"}
        )
    body = await req.json(NAME_BODY)
    async with state_of(req).db.session() as s:
        await resource_classes.rename(s, name, body["name"])
    return json_response(_body(body["name"]))


async def delete_resource_class(req: ApiRequest) -> Response:
    req.enforce("placement:resource_classes:delete")
    async with state_of(req).db.session() as s:
        await resource_classes.delete_class(s, req.param("name"))
    return empty(204)
