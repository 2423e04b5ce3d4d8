"""Metadef objects over HTTP: /v2/metadefs/namespaces/{namespace}/objects[/{name}]."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.image.api.metadefs import bodies
from nimbostack.image.api.metadefs.common import readable, writable
from nimbostack.image.api.metadefs.views import object_view
from nimbostack.image.db.models import MetadefObject
from nimbostack.image.objects import metadef_items as items
from nimbostack.image.state import state_of


async def list_objects(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_objects")
    rows = await items.list_in(state_of(req).db, MetadefObject, ns.id)
    body = {
        "objects": [object_view(o, ns.namespace) for o in rows],
        "schema": "/v2/schemas/metadefs/objects",
    }
    return json_response(body)


async def create_object(req: ApiRequest) -> Response:
    body = await req.json(bodies.OBJECT)
    ns = await writable(req, "add_metadef_object")
    pair = (body["name"], bodies.object_body(body))
    [obj] = await items.add(state_of(req).db, MetadefObject, ns.id, ns.namespace, [pair])
    assert isinstance(obj, MetadefObject)
    return json_response(object_view(obj, ns.namespace), 201)


async def show_object(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_object")
    obj = await items.get(state_of(req).db, MetadefObject, ns.id, req.param("name"), ns.namespace)
    return json_response(object_view(obj, ns.namespace))


async def update_object(req: ApiRequest) -> Response:
    body = await req.json(bodies.OBJECT)
    ns = await writable(req, "modify_metadef_object")
    db = state_of(req).db
    obj = await items.get(db, MetadefObject, ns.id, req.param("name"), ns.namespace)
    saved = await items.replace(db, obj, ns.namespace, body["name"], bodies.object_body(body))
    assert isinstance(saved, MetadefObject)
    return json_response(object_view(saved, ns.namespace))


async def delete_object(req: ApiRequest) -> Response:
    ns = await writable(req, "delete_metadef_object", deleting=True)
    await items.remove(state_of(req).db, MetadefObject, ns.id, req.param("name"), ns.namespace)
    return empty(204)


async def delete_objects(req: ApiRequest) -> Response:
    ns = await writable(req, "delete_metadef_object", deleting=True)
    await items.remove_all(state_of(req).db, MetadefObject, ns.id)
    return empty(204)
