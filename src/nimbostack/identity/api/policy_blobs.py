"""Legacy policy blobs: /v3/policies (stored and served; identity never enforces them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.identity.api.entities import envelope, get_or_404, new_id, reading, writing
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.extension_models import Policy

_FIELDS = {
    "blob": {"type": "string", "maxLength": 65535},
    "type": {"type": "string", "minLength": 1, "maxLength": 255},
}
CREATE = envelope("policy", _FIELDS, required=("blob", "type"), strict=False)
UPDATE = envelope("policy", _FIELDS, strict=False)
_NOT_EXTRA = ("id", "links", *_FIELDS)


def view(req: ApiRequest, policy: Policy) -> dict[str, Any]:
    return {
        **policy.extra,
        "id": policy.id,
        "type": policy.type,
        "blob": policy.blob,
        "links": self_link(req, f"/v3/policies/{policy.id}"),
    }


def _extra(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in _NOT_EXTRA}


async def list_policies(req: ApiRequest) -> Response:
    req.enforce("identity:list_policies", {})
    stmt = select(Policy).order_by(Policy.id)
    if "type" in req.query:
        stmt = stmt.where(Policy.type == req.query["type"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "policies", [view(req, p) for p in rows]))


async def show_policy(req: ApiRequest) -> Response:
    req.enforce("identity:get_policy", {})
    async with reading(req) as s:
        policy = await get_or_404(s, Policy, req.param("policy_id"), "policy")
    return json_response({"policy": view(req, policy)})


async def create_policy(req: ApiRequest) -> Response:
    req.enforce("identity:create_policy", {})
    body = (await req.json(CREATE))["policy"]
    policy = Policy(id=new_id(), type=body["type"], blob=body["blob"], extra=_extra(body))
    async with writing(req, "policy") as s:
        s.add(policy)
    return json_response({"policy": view(req, policy)}, 201)


async def update_policy(req: ApiRequest) -> Response:
    req.enforce("identity:update_policy", {})
    body = (await req.json(UPDATE))["policy"]
    async with writing(req, "policy") as s:
        policy = await get_or_404(s, Policy, req.param("policy_id"), "policy", lock=True)
        policy.type = body.get("type", policy.type)
        policy.blob = body.get("blob", policy.blob)
        policy.extra = {**policy.extra, **_extra(body)}
    return json_response({"policy": view(req, policy)})


async def delete_policy(req: ApiRequest) -> Response:
    req.enforce("identity:delete_policy", {})
    async with writing(req, "policy") as s:
        policy = await get_or_404(s, Policy, req.param("policy_id"), "policy")
        await s.delete(policy)
    return empty(204)
