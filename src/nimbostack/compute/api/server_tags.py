"""``/servers/{id}/tags[/{tag}]`` (2.26+): a server's tags.

Each change is made to the tags as they are in the row, read FOR UPDATE in the
transaction that writes them back: concurrent additions all land.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from nimbostack.compute.api.deps import ApiState, public_url, state_of
from nimbostack.compute.api.server_create_schema import TAG
from nimbostack.compute.api.server_lookup import load_server, target
from nimbostack.compute.db.models import Instance
from nimbostack.compute.messages import InstanceNotFound
from nimbostack.compute.objects import instances
from nimbostack.core.api.microversion import Version
from nimbostack.core.api.request import ApiRequest, validate
from nimbostack.core.api.responses import empty, json_response, url_segment
from nimbostack.core.errors import BadRequest, NotFound

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
    req.enforce(rule, target(instance))
    return state, instance


async def _store(
    state: ApiState, instance: Instance, change: Callable[[list[str]], list[str]]
) -> list[str]:
    """Apply ``change`` to the server's current tags under its row lock."""
    async with state.db.session() as s:
        try:
            row = await instances.get_for_update(s, instance.uuid)
        except InstanceNotFound:
            raise NotFound(f"Instance {instance.uuid} could not be found.") from None
        tags = change(list(row.tags or []))
        if len(tags) > MAX_TAGS:
            raise BadRequest(f"The number of tags exceeded the per-server limit {MAX_TAGS}")
        row.tags = tags
    return tags


async def list_tags(req: ApiRequest) -> Response:
    _state, instance = await _load(req, "os_compute_api:os-server-tags:index")
    return json_response({"tags": list(instance.tags or [])})


async def replace_tags(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:os-server-tags:update_all")
    body = await req.json(BODY)
    tags = await _store(state, instance, lambda _tags: list(dict.fromkeys(body["tags"])))
    return json_response({"tags": tags})


async def delete_all_tags(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:os-server-tags:delete_all")
    await _store(state, instance, lambda _tags: [])
    return empty(204)


async def check_tag(req: ApiRequest) -> Response:
    _state, instance = await _load(req, "os_compute_api:os-server-tags:show")
    tag = req.param("tag")
    if tag not in (instance.tags or []):
        raise NotFound(f"Tag {tag} could not be found.")
    return empty(204)


async def add_tag(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:os-server-tags:update")
    tag = req.param("tag")
    validate(tag, TAG)
    path = f"/v2.1/servers/{instance.uuid}/tags/{url_segment(tag)}"
    location = {"Location": f"{public_url(req)}{path}"}
    added = False

    def add(tags: list[str]) -> list[str]:
        nonlocal added
        added = tag not in tags
        return [*tags, tag] if added else tags

    await _store(state, instance, add)
    return empty(201 if added else 204, location)


async def delete_tag(req: ApiRequest) -> Response:
    state, instance = await _load(req, "os_compute_api:os-server-tags:delete")
    tag = req.param("tag")

    def remove(tags: list[str]) -> list[str]:
        if tag not in tags:
            raise NotFound(f"Tag {tag} could not be found.")
        return [t for t in tags if t != tag]

    await _store(state, instance, remove)
    return empty(204)
