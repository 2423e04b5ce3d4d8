"""Metadef tags over HTTP: /v2/metadefs/namespaces/{namespace}/tags[/{name}].

``POST .../tags`` replaces the namespace's tags with the list given, unless the
``X-Openstack-Append: true`` header asks to add them to the existing ones.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest
from nimbostack.image.api.metadefs import bodies
from nimbostack.image.api.metadefs.common import readable, writable
from nimbostack.image.api.metadefs.views import tag_view
from nimbostack.image.db.models import MetadefTag
from nimbostack.image.objects import metadef_items as items
from nimbostack.image.state import state_of


async def list_tags(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_tags")
    rows = await items.list_in(state_of(req).db, MetadefTag, ns.id)
    return json_response({"tags": [tag_view(t) for t in rows]})


async def create_tags(req: ApiRequest) -> Response:
    body = await req.json(bodies.TAGS)
    ns = await writable(req, "add_metadef_tags")
    db = state_of(req).db
    append = req.http.headers.get("x-openstack-append", "false").lower() == "true"
    pairs: list[tuple[str, dict[str, Any]]] = [(t["name"], {}) for t in body["tags"]]
    rows = await items.add(db, MetadefTag, ns.id, ns.namespace, pairs, clear=not append)
    return json_response({"tags": [{"name": t.name} for t in rows]}, 201)


async def create_tag(req: ApiRequest) -> Response:
    ns = await writable(req, "add_metadef_tag")
    name = _tag_name(req.param("name"))
    [tag] = await items.add(state_of(req).db, MetadefTag, ns.id, ns.namespace, [(name, {})])
    assert isinstance(tag, MetadefTag)
    return json_response(tag_view(tag), 201)


def _tag_name(name: str) -> str:
    if not 0 < len(name) <= 255:
        raise BadRequest("A tag name must have 1 to 255 characters.")
    return name


async def show_tag(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_tag")
    tag = await items.get(state_of(req).db, MetadefTag, ns.id, req.param("name"), ns.namespace)
    return json_response(tag_view(tag))


async def update_tag(req: ApiRequest) -> Response:
    body = await req.json(bodies.TAG)
    ns = await writable(req, "modify_metadef_tag")
    db = state_of(req).db
    tag = await items.get(db, MetadefTag, ns.id, req.param("name"), ns.namespace)
    saved = await items.replace(db, tag, ns.namespace, body["name"], {})
    assert isinstance(saved, MetadefTag)
    return json_response(tag_view(saved))


async def delete_tag(req: ApiRequest) -> Response:
    ns = await writable(req, "delete_metadef_tag", deleting=True)
    await items.remove(state_of(req).db, MetadefTag, ns.id, req.param("name"), ns.namespace)
    return empty(204)


async def delete_tags(req: ApiRequest) -> Response:
    ns = await writable(req, "delete_metadef_tags", deleting=True)
    await items.remove_all(state_of(req).db, MetadefTag, ns.id)
    return empty(204)
