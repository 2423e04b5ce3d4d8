"""``/servers/{id}/tags[/{tag}]`` (2.26+): a server's tags."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, public_url, state_of
from nimbostack.compute.api.server_create_schema import TAG
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.core.errors import BadRequest, NotFound

P = "os_compute_api:os-server-tags:"
MAX_TAGS = 50
BODY = {
    "type": "object",
    "properties": {"tags": {"type": "array", "items": TAG, "maxItems": MAX_TAGS}},
    "required": ["tags"],
    "additionalProperties": False,
}


async def _load(req: ApiRequest, rule: str) -> tuple[ApiState, Instance]:
    if not (req.version or Version(2, 1)).matches("2.26"):
        raise NotFound("The resource could not be found.")
    state = state_of(req)
    instance = await load_server(req, state)
    req.enforce(P + rule, target(instance))
    return state, instance


async def _store(state: ApiState, instance: Instance, tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
    async with state.db.session() as s:
        row = await s.get(Instance, instance.uuid)
        if row is None or row.deleted:
            raise NotFound(f"Instance {instance.uuid} could not be found.")
        row.tags = tags
    return tags


async def list_tags(req: ApiRequest) -> Response:
    _state, instance = await _load(req, "index")
    return json_response({"tags": list(instance.tags or [])})


async def replace_tags(req: ApiRequest) -> Response:
    state, instance = await _load(req, "update_all")
    body = await req.json(BODY)
    tags = await _store(state, instance, list(dict.fromkeys(body["tags"])))
    return json_response({"tags": tags})


async def delete_all_tags(req: ApiRequest) -> Response:
    state, instance = await _load(req, "delete_all")
    await _store(state, instance, [])
    return empty(204)


async def check_tag(req: ApiRequest) -> Response:
    _state, instance = await _load(req, "show")
    tag = req.param("tag")
    if tag not in (instance.tags or []):
        raise NotFound(f"Tag {tag} could not be found.")
    return empty(204)


async def add_tag(req: ApiRequest) -> Response:
    state, instance = await _load(req, "update")
    tag = req.param("tag")
    validate(tag, TAG)
    tags = list(instance.tags or [])
    path = f"/v2.1/servers/{instance.uuid}/tags/{url_segment(tag)}"
    location = {"Location": f"{public_url(req)}{path}"}
    if tag in tags:
        return empty(204, location)
    await _store(state, instance, [*tags, tag])
    return empty(201, location)


async def delete_tag(req: ApiRequest) -> Response:
    state, instance = await _load(req, "delete")
    tag = req.param("tag")
    tags = list(instance.tags or [])
    if tag not in tags:
        raise NotFound(f"Tag {tag} could not be found.")
    await _store(state, instance, [t for t in tags if t != tag])
    return empty(204)
