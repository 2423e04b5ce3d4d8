"""Metadef resource types and their associations with namespaces, over HTTP."""

from __future__ import annotations

from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.image.api.metadefs import bodies
from nimbostack.image.api.metadefs.common import readable, stamps, writable
from nimbostack.image.api.metadefs.views import association_view
from nimbostack.image.objects import metadefs
from nimbostack.image.state import state_of


async def list_resource_types(req: ApiRequest) -> Response:
    req.enforce("list_metadef_resource_types")
    rows = await metadefs.resource_types(state_of(req).db)
    types = [{"name": t.name, **stamps(t.created_at, t.updated_at)} for t in rows]
    return json_response({"resource_types": types})


async def list_associations(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_resource_type")
    links = await metadefs.associations(state_of(req).db, ns.id)
    return json_response({"resource_type_associations": [association_view(a) for a in links]})


async def create_association(req: ApiRequest) -> Response:
    body = await req.json(bodies.ASSOCIATION)
    ns = await writable(req, "add_metadef_resource_type_association")
    link = await metadefs.associate(state_of(req).db, ns, body)
    return json_response(association_view(link), 201)


async def delete_association(req: ApiRequest) -> Response:
    ns = await writable(req, "remove_metadef_resource_type_association", deleting=True)
    await metadefs.dissociate(state_of(req).db, ns, req.param("resource_type"))
    return empty(204)
