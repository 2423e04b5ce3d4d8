"""Metadef properties over HTTP: /v2/metadefs/namespaces/{namespace}/properties[/{name}]."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.image.api.metadefs import bodies
from nimbostack.image.api.metadefs.common import readable, writable
from nimbostack.image.api.metadefs.views import property_view
from nimbostack.image.db.models import MetadefProperty
from nimbostack.image.objects import metadef_items as items
from nimbostack.image.state import state_of


async def list_properties(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_properties")
    rows = await items.list_in(state_of(req).db, MetadefProperty, ns.id)
    # Glance answers a map keyed by property name, not a list.
    return json_response({"properties": {p.name: p.body for p in rows}})


async def create_property(req: ApiRequest) -> Response:
    body = await req.json(bodies.PROPERTY)
    ns = await writable(req, "add_metadef_property")
    pair = (body["name"], bodies.property_body(body))
    [prop] = await items.add(state_of(req).db, MetadefProperty, ns.id, ns.namespace, [pair])
    assert isinstance(prop, MetadefProperty)
    return json_response(property_view(prop), 201)


async def show_property(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_property")
    db, name = state_of(req).db, req.param("name")
    return json_response(
        property_view(await items.get(db, MetadefProperty, ns.id, name, ns.namespace))
    )


async def update_property(req: ApiRequest) -> Response:
    body = await req.json(bodies.PROPERTY)
    ns = await writable(req, "modify_metadef_property")
    db = state_of(req).db
    prop = await items.get(db, MetadefProperty, ns.id, req.param("name"), ns.namespace)
    saved = await items.replace(db, prop, ns.namespace, body["name"], bodies.property_body(body))
    assert isinstance(saved, MetadefProperty)
    return json_response(property_view(saved))


async def delete_property(req: ApiRequest) -> Response:
    ns = await writable(req, "remove_metadef_property", deleting=True)
    await items.remove(state_of(req).db, MetadefProperty, ns.id, req.param("name"), ns.namespace)
    return empty(204)


async def delete_properties(req: ApiRequest) -> Response:
    ns = await writable(req, "remove_metadef_property", deleting=True)
    await items.remove_all(state_of(req).db, MetadefProperty, ns.id)
    return empty(204)
