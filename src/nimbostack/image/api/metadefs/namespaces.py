"""Metadef namespaces over HTTP: list, create (with contents), show, update, delete.

Writes are admin-only by default (policy); visibility decides who may read.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbostack.core.api.params import bounded_int, shown
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.api.schema import MAX_BIGINT
from nimbostack.core.errors import BadRequest
from nimbostack.image.api.metadefs import bodies
from nimbostack.image.api.metadefs.common import BASE, compact, readable, stamps, writable
from nimbostack.image.api.metadefs.views import (
    association_view,
    item_views,
    namespace_view,
)
from nimbostack.image.db.models import MetadefNamespace, MetadefObject, MetadefProperty, MetadefTag
from nimbostack.image.objects import metadef_items as items
from nimbostack.image.objects import metadefs
from nimbostack.image.state import state_of

_FIELDS = ("namespace", "display_name", "description", "visibility", "protected", "owner")


async def list_namespaces(req: ApiRequest) -> Response:
    state = state_of(req)
    req.enforce("get_metadef_namespaces")
    visibility = req.query.get("visibility")
    if visibility not in (None, "public", "private"):
        raise BadRequest(f"Invalid visibility {visibility!r}: use public or private.")
    types = [t for t in (req.query.get("resource_types") or "").split(",") if t]
    page = metadefs.oldest_first(_limit(req), req.query.get("marker"))
    rows = await metadefs.list_visible(state.db, req.context, visibility, types, page)
    body: dict[str, Any] = {
        "namespaces": [await _full_view(req, ns, contents=False) for ns in rows],
        "first": BASE,
        "schema": "/v2/schemas/metadefs/namespaces",
    }
    return json_response(body)


def _limit(req: ApiRequest) -> int:
    raw = req.query.get("limit")
    if raw is None:
        return int(state_of(req).conf.api_limit_max)
    limit = bounded_int(raw, 0, MAX_BIGINT)
    if limit is None:
        raise BadRequest(f"Invalid limit {shown(raw)}: a non-negative integer is required.")
    return min(limit, int(state_of(req).conf.api_limit_max))


async def create_namespace(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json(bodies.NAMESPACE)
    req.enforce("add_metadef_namespace")
    values = {k: body[k] for k in _FIELDS if k in body}
    values.setdefault("visibility", "private")
    values.setdefault("protected", False)
    values.setdefault("owner", req.context.project_id)
    ns = await metadefs.create(state.db, values)
    try:
        await _fill(req, ns, body)
    except BaseException:
        # Contents are part of the one create: a bad one leaves no namespace behind.
        await metadefs.remove(state.db, ns)
        raise
    return json_response(await _full_view(req, ns, contents=True), 201)


async def _fill(req: ApiRequest, ns: MetadefNamespace, body: dict[str, Any]) -> None:
    db, name = state_of(req).db, ns.namespace
    for link in body.get("resource_type_associations", []):
        await metadefs.associate(db, ns, link)
    props = [(k, bodies.property_body(v)) for k, v in body.get("properties", {}).items()]
    objs = [(o["name"], bodies.object_body(o)) for o in body.get("objects", [])]
    tags: list[tuple[str, dict[str, Any]]] = [(t["name"], {}) for t in body.get("tags", [])]
    for model, pairs in ((MetadefProperty, props), (MetadefObject, objs), (MetadefTag, tags)):
        if pairs:
            await items.add(db, model, ns.id, name, pairs)


async def show_namespace(req: ApiRequest) -> Response:
    ns = await readable(req, "get_metadef_namespace")
    return json_response(await _full_view(req, ns, contents=True))


async def update_namespace(req: ApiRequest) -> Response:
    state = state_of(req)
    body = await req.json(bodies.NAMESPACE)
    ns = await writable(req, "modify_metadef_namespace")
    values = {k: body[k] for k in _FIELDS if k in body}
    await metadefs.save(state.db, ns.id, values)
    saved = await metadefs.load(state.db, req.context, values.get("namespace", ns.namespace))
    return json_response(await _full_view(req, saved, contents=True))


async def delete_namespace(req: ApiRequest) -> Response:
    ns = await writable(req, "delete_metadef_namespace", deleting=True)
    await metadefs.remove(state_of(req).db, ns)
    return empty(204)


async def _full_view(req: ApiRequest, ns: MetadefNamespace, contents: bool) -> dict[str, Any]:
    db = state_of(req).db
    view = namespace_view(ns)
    links = await metadefs.associations(db, ns.id)
    if links:
        view["resource_type_associations"] = [association_view(a) for a in links]
    if contents:
        view.update(await item_views(db, ns))
    return compact(view) | stamps(ns.created_at, ns.updated_at)
