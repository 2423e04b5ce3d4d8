"""Roles, global and domain-specific: /v3/roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Forbidden
from nimbostack.identity.api.entities import (
    DESCRIPTION,
    NAME,
    NULLABLE_ID,
    duplicate,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Domain, Role
from nimbostack.identity.tokens.revoke import revoke

_OPTIONS = {
    "type": "object",
    "properties": {"immutable": {"type": ["boolean", "null"]}},
    "additionalProperties": False,
}
_FIELDS = {"name": NAME, "description": DESCRIPTION, "options": _OPTIONS}
CREATE = envelope("role", {**_FIELDS, "domain_id": NULLABLE_ID}, required=("name",), strict=False)
UPDATE = envelope("role", {**_FIELDS, "domain_id": NULLABLE_ID}, strict=False)
_NOT_EXTRA = ("name", "description", "options", "domain_id", "id", "links")


def view(req: ApiRequest, role: Role) -> dict[str, Any]:
    return {
        **role.extra,
        "id": role.id,
        "name": role.name,
        "domain_id": role.domain_id or None,
        "description": role.description,
        "options": dict(role.options or {}),
        "links": self_link(req, f"/v3/roles/{role.id}"),
    }


# action -> (rule for a global role, rule for a domain-specific role)
_RULES = {
    "get": ("identity:get_role", "identity:get_domain_role"),
    "create": ("identity:create_role", "identity:create_domain_role"),
    "update": ("identity:update_role", "identity:update_domain_role"),
    "delete": ("identity:delete_role", "identity:delete_domain_role"),
}


def _rule(action: str, role_domain: str | None) -> str:
    """Domain-specific roles have rules of their own (``identity:<action>_domain_role``)."""
    global_rule, domain_rule = _RULES[action]
    return domain_rule if role_domain else global_rule


def _target(role: Role) -> dict[str, Any]:
    return {"target": {"role": {"id": role.id, "domain_id": role.domain_id or None}}}


async def _unique(s: AsyncSession, name: str, domain_id: str) -> None:
    if await s.scalar(select(Role.id).where(Role.name == name, Role.domain_id == domain_id)):
        raise duplicate("role", name, domain_id or None)


async def list_roles(req: ApiRequest) -> Response:
    domain_id = req.query.get("domain_id") or ""
    req.enforce("identity:list_domain_roles" if domain_id else "identity:list_roles", {})
    stmt = select(Role).where(Role.domain_id == domain_id).order_by(Role.name)
    if "name" in req.query:
        stmt = stmt.where(Role.name == req.query["name"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "roles", [view(req, r) for r in rows]))


async def show_role(req: ApiRequest) -> Response:
    async with reading(req) as s:
        role = await get_or_404(s, Role, req.param("role_id"), "role")
    req.enforce(_rule("get", role.domain_id), _target(role))
    return json_response({"role": view(req, role)})


async def create_role(req: ApiRequest) -> Response:
    body = (await req.json(CREATE))["role"]
    domain_id = body.get("domain_id") or ""
    req.enforce(_rule("create", domain_id), {"role": {"domain_id": domain_id or None}})
    async with writing(req, "role") as s:
        if domain_id:
            await get_or_404(s, Domain, domain_id, "domain")
        await _unique(s, body["name"], domain_id)
        role = Role(
            id=new_id(),
            name=body["name"],
            domain_id=domain_id,
            description=body.get("description"),
            options={k: v for k, v in body.get("options", {}).items() if v is not None},
            extra={k: v for k, v in body.items() if k not in _NOT_EXTRA},
        )
        s.add(role)
    return json_response({"role": view(req, role)}, 201)


def _check_mutable(role: Role) -> None:
    if (role.options or {}).get("immutable"):
        raise Forbidden(f"Cannot modify or delete the immutable role {role.id}.")


async def update_role(req: ApiRequest) -> Response:
    body = (await req.json(UPDATE))["role"]
    async with writing(req, "role") as s:
        role = await get_or_404(s, Role, req.param("role_id"), "role", lock=True)
        req.enforce(_rule("update", role.domain_id), _target(role))
        if (body.get("domain_id") or "") != role.domain_id and "domain_id" in body:
            raise BadRequest("Cannot change the domain_id of a role.")
        given = body.get("options", {})
        if "immutable" not in given or given["immutable"]:
            _check_mutable(role)
        options = {**(role.options or {}), **given}
        name = body.get("name")
        if name and name != role.name:
            await _unique(s, name, role.domain_id)
            role.name = name
        if "description" in body:
            role.description = body["description"]
        role.options = {k: v for k, v in options.items() if v is not None}
        extra = {k: v for k, v in body.items() if k not in _NOT_EXTRA}
        role.extra = {**role.extra, **extra}
    return json_response({"role": view(req, role)})


async def delete_role(req: ApiRequest) -> Response:
    role_id = req.param("role_id")
    async with writing(req, "role") as s:
        role = await get_or_404(s, Role, role_id, "role")
        req.enforce(_rule("delete", role.domain_id), _target(role))
        _check_mutable(role)
        await s.delete(role)
        await revoke(s, role_id=role_id)
    return empty(204)
