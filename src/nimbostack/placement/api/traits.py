"""Handlers for /traits and /resource_providers/{uuid}/traits."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.core.errors import NotFound
from nimbostack.placement.api.params import bad
from nimbostack.placement.objects import providers, traits
from nimbostack.placement.state import state_of

# More than all the standard traits together; the bound keeps one write short.
MAX_PROVIDER_TRAITS = 500
PUT_PROVIDER_TRAITS = {
    "type": "object",
    "properties": {
        "traits": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[A-Z0-9_]+$", "maxLength": 255},
            "uniqueItems": True,
            "maxItems": MAX_PROVIDER_TRAITS,
        },
        "resource_provider_generation": {"type": "integer", "minimum": 0},
    },
    "required": ["traits", "resource_provider_generation"],
    "additionalProperties": False,
}


def _name_filter(raw: str | None) -> tuple[list[str] | None, str | None]:
    if raw is None:
        return None, None
    if raw.startswith("in:"):
        return [n.strip() for n in raw[3:].split(",") if n.strip()], None
    if raw.startswith("startswith:"):
        return None, raw[len("startswith:") :]
    raise bad(
        f"Badly formatted name parameter. Expected name query string parameter in "
        f'form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "{raw}"'
    )


async def list_traits(req: ApiRequest) -> Response:
    req.enforce("placement:traits:list")
    unknown = sorted(set(req.query.keys()) - {"name", "associated"})
    if unknown:
        raise bad(f"Invalid query string parameters: {', '.join(unknown)} not allowed.")
    in_names, prefix = _name_filter(req.query.get("name"))
    associated = req.query_bool("associated") if "associated" in req.query else None
    async with state_of(req).db.session() as s:
        found = await traits.list_traits(s, in_names, prefix, associated)
    return json_response({"traits": found})


async def show_trait(req: ApiRequest) -> Response:
    req.enforce("placement:traits:show")
    name = req.param("name")
    async with state_of(req).db.session() as s:
        if not await traits.exists_named(s, name):
            raise NotFound(f"No such trait(s): {name}")
    return empty(204)


async def create_trait(req: ApiRequest) -> Response:
    req.enforce("placement:traits:update")
    name = req.param("name")
    async with state_of(req).db.session() as s:
        created = await traits.create(s, name)
    return empty(201 if created else 204, {"Location": f"/traits/{url_segment(name)}"})


async def delete_trait(req: ApiRequest) -> Response:
    req.enforce("placement:traits:delete")
    async with state_of(req).db.session() as s:
        await traits.delete_trait(s, req.param("name"))
    return empty(204)


async def list_provider_traits(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:traits:list")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        names = await traits.of_provider(s, rp.id)
    return json_response({"traits": names, "resource_provider_generation": rp.generation})


async def update_provider_traits(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:traits:update")
    body = await req.json(PUT_PROVIDER_TRAITS)
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        providers.check_generation(rp, body["resource_provider_generation"])
        names = await traits.replace(s, rp, body["traits"])
    return json_response({"traits": names, "resource_provider_generation": rp.generation})


async def delete_provider_traits(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:traits:delete")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        await traits.replace(s, rp, [])
    return empty(204)
