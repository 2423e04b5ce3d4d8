"""Handlers for /resource_providers and /resource_providers/{uuid}."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.placement.api.params import at_least, bad, request_groups
from nimbostack.placement.objects import names, providers
from nimbostack.placement.objects.filters import provider_conditions
from nimbostack.placement.objects.providers import RP_MODEL, Provider
from nimbostack.placement.state import state_of

_UUID = {"type": "string", "format": "uuid"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_LIST_PARAMS = {"name", "uuid", "member_of", "resources", "in_tree", "required"}


def _schema(req: ApiRequest, create: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"name": _NAME}
    if create:
        props["uuid"] = _UUID
    if at_least(req, "1.14"):
        props["parent_provider_uuid"] = {"anyOf": [_UUID, {"type": "null"}]}
    return {
        "type": "object",
        "properties": props,
        "required": ["name"],
        "additionalProperties": False,
    }


def provider_links(req: ApiRequest, uuid: str) -> list[dict[str, str]]:
    base = f"/resource_providers/{uuid}"
    links = [
        {"rel": "self", "href": base},
        {"rel": "inventories", "href": f"{base}/inventories"},
        {"rel": "usages", "href": f"{base}/usages"},
    ]
    for version, rel in (("1.1", "aggregates"), ("1.6", "traits"), ("1.11", "allocations")):
        if at_least(req, version):
            links.append({"rel": rel, "href": f"{base}/{rel}"})
    return links


def provider_body(req: ApiRequest, p: Provider) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uuid": p.uuid,
        "name": p.name,
        "generation": p.generation,
        "links": provider_links(req, p.uuid),
    }
    if at_least(req, "1.14"):
        body["parent_provider_uuid"] = p.parent_uuid
        body["root_provider_uuid"] = p.root_uuid
    return body


async def list_resource_providers(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:list")
    allowed = {"name", "uuid"}
    for version, key in (("1.3", "member_of"), ("1.4", "resources"), ("1.14", "in_tree")):
        if at_least(req, version):
            allowed.add(key)
    if at_least(req, "1.18"):
        allowed.add("required")
    unknown = sorted(set(req.query.keys()) - allowed)
    if unknown:
        raise bad(f"Invalid query string parameters: {', '.join(unknown)} not allowed.")
    group = request_groups(req, {"resources", "required", "member_of"}).get("")
    async with state_of(req).db.session() as s:
        query = providers.provider_select().order_by(RP_MODEL.id)
        conds: list[ColumnElement[bool]] = []
        if "name" in req.query:
            conds.append(RP_MODEL.name == req.query["name"])
        if "uuid" in req.query:
            conds.append(RP_MODEL.uuid == providers.normalize_uuid(req.query["uuid"], "uuid"))
        if "in_tree" in req.query:
            tree = providers.normalize_uuid(req.query["in_tree"], "in_tree")
            root = select(RP_MODEL.root_provider_id).where(RP_MODEL.uuid == tree)
            conds.append(RP_MODEL.root_provider_id.in_(root.scalar_subquery()))
        if group is not None:
            classes = await names.class_ids(s, group.resources)
            traits = await names.trait_ids(s, group.trait_names())
            conds += provider_conditions(group, classes, traits)
        rows = (await s.execute(query.where(*conds))).all()
    items = [provider_body(req, providers.to_provider(row[0], row[1], row[2])) for row in rows]
    return json_response({"resource_providers": items})


async def create_resource_provider(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:create")
    body = await req.json(_schema(req, create=True))
    async with state_of(req).db.session() as s:
        rp = await providers.create(
            s, body["name"], body.get("uuid"), body.get("parent_provider_uuid")
        )
    headers = {"Location": f"/resource_providers/{rp.uuid}"}
    if at_least(req, "1.20"):
        return json_response(provider_body(req, rp), 200, headers)
    return empty(201, headers)


async def show_resource_provider(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:show")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
    return json_response(provider_body(req, rp))


async def update_resource_provider(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:update")
    body = await req.json(_schema(req, create=False))
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        parent = body.get("parent_provider_uuid", rp.parent_uuid)
        if not at_least(req, "1.14"):
            parent = rp.parent_uuid
        rp = await providers.update_provider(
            s, rp, body["name"], parent, reparent=at_least(req, "1.37")
        )
    return json_response(provider_body(req, rp))


async def delete_resource_provider(req: ApiRequest) -> Response:
    req.enforce("placement:resource_providers:delete")
    async with state_of(req).db.session() as s:
        rp = await providers.get(s, req.param("uuid"))
        await providers.delete_provider(s, rp)
    return empty(204)
