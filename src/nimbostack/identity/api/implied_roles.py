"""Implied roles: /v3/roles/{prior}/implies[/{implied}] and /v3/role_inferences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Forbidden, NotFound
from nimbostack.identity.api.entities import get_or_404, reading, writing
from nimbostack.identity.api.links import base_url, self_link
from nimbostack.identity.db.models import ImpliedRole, Role
from nimbostack.identity.objects.assignments import implied_closure

# Keystone's default [assignment] prohibited_implied_role: nobody gets admin by implication.
PROHIBITED_IMPLIED = ("admin",)


def _ref(req: ApiRequest, role: Role) -> dict[str, Any]:
    return {"id": role.id, "name": role.name, "links": self_link(req, f"/v3/roles/{role.id}")}


def _inference(req: ApiRequest, prior: Role, implied: Role) -> dict[str, Any]:
    path = f"/v3/roles/{prior.id}/implies/{implied.id}"
    return {
        "role_inference": {"prior_role": _ref(req, prior), "implies": _ref(req, implied)},
        "links": self_link(req, path),
    }


async def _pair(req: ApiRequest, s: AsyncSession) -> tuple[Role, Role]:
    prior = await get_or_404(s, Role, req.param("prior_role_id"), "role")
    implied = await get_or_404(s, Role, req.param("implied_role_id"), "role")
    return prior, implied


async def _existing(s: AsyncSession, prior: Role, implied: Role) -> ImpliedRole:
    row = await s.get(ImpliedRole, (prior.id, implied.id))
    if row is None:
        raise NotFound(f"Could not find implied role: {prior.id} implies {implied.id}.")
    return row


async def create_implied_role(req: ApiRequest) -> Response:
    req.enforce("identity:create_implied_role", {})
    async with writing(req, "implied role") as s:
        prior, implied = await _pair(req, s)
        if implied.name in PROHIBITED_IMPLIED:
            raise BadRequest(f"{implied.id} cannot be an implied role.")
        # A domain-specific role may imply any role; a global one only global roles.
        if implied.domain_id and not prior.domain_id:
            raise Forbidden("Global role cannot imply a domain-specific role.")
        if prior.id in await implied_closure(s, [implied.id]):
            raise BadRequest(f"Role {prior.id} cannot imply {implied.id}: that would make a cycle.")
        if await s.get(ImpliedRole, (prior.id, implied.id)) is None:
            s.add(ImpliedRole(prior_role_id=prior.id, implied_role_id=implied.id))
    return json_response(_inference(req, prior, implied), 201)


async def get_implied_role(req: ApiRequest) -> Response:
    req.enforce("identity:get_implied_role", {})
    async with reading(req) as s:
        prior, implied = await _pair(req, s)
        await _existing(s, prior, implied)
    return json_response(_inference(req, prior, implied))


async def check_implied_role(req: ApiRequest) -> Response:
    req.enforce("identity:check_implied_role", {})
    async with reading(req) as s:
        prior, implied = await _pair(req, s)
        await _existing(s, prior, implied)
    return empty(204)


async def delete_implied_role(req: ApiRequest) -> Response:
    req.enforce("identity:delete_implied_role", {})
    async with writing(req, "implied role") as s:
        prior, implied = await _pair(req, s)
        await s.delete(await _existing(s, prior, implied))
    return empty(204)


async def _implied_of(s: AsyncSession) -> tuple[dict[str, Role], dict[str, list[str]]]:
    roles = {r.id: r for r in await s.scalars(select(Role))}
    rules: dict[str, list[str]] = {}
    for row in await s.scalars(select(ImpliedRole)):
        rules.setdefault(row.prior_role_id, []).append(row.implied_role_id)
    return roles, rules


async def list_implied_roles(req: ApiRequest) -> Response:
    req.enforce("identity:list_implied_roles", {})
    async with reading(req) as s:
        prior = await get_or_404(s, Role, req.param("prior_role_id"), "role")
        roles, rules = await _implied_of(s)
    implies = [_ref(req, roles[i]) for i in sorted(rules.get(prior.id, [])) if i in roles]
    body = {
        "role_inference": {"prior_role": _ref(req, prior), "implies": implies},
        "links": {"self": f"{base_url(req)}/v3/roles/{prior.id}/implies"},
    }
    return json_response(body)


async def list_role_inferences(req: ApiRequest) -> Response:
    req.enforce("identity:list_role_inference_rules", {})
    async with reading(req) as s:
        roles, rules = await _implied_of(s)
    items = [
        {
            "prior_role": _ref(req, roles[prior]),
            "implies": [_ref(req, roles[i]) for i in sorted(implied) if i in roles],
        }
        for prior, implied in sorted(rules.items())
        if prior in roles
    ]
    body = {"role_inferences": items, "links": {"self": f"{base_url(req)}/v3/role_inferences"}}
    return json_response(body)
