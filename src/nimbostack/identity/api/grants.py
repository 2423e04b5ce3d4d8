"""Role grants on projects, domains and the system, direct or OS-INHERIT inherited.

One set of handlers serves every path shape; ``grant_routes()`` binds them to each
(actor, target, inherited) combination of Keystone's URL space.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.app import Handler, Route
from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import Forbidden, NotFound
from nimbostack.identity.api import roles as role_api
from nimbostack.identity.api.entities import get_or_404, reading, writing
from nimbostack.identity.api.links import collection
from nimbostack.identity.db.models import Domain, Group, Membership, Project, Role, User
from nimbostack.identity.objects import grants
from nimbostack.identity.objects.grants import SYSTEM, GrantKey
from nimbostack.identity.tokens.revoke import revoke

_ACTORS: dict[str, type[User] | type[Group]] = {"user": User, "group": Group}
_TARGETS: dict[str, type[Project] | type[Domain]] = {"project": Project, "domain": Domain}


def _key(req: ApiRequest, actor: str, target: str, inherited: bool) -> GrantKey:
    target_id = SYSTEM if target == "system" else req.param("target_id")
    return GrantKey(actor, req.param("actor_id"), target, target_id, inherited)


# (target kind, action) -> the rule guarding it; system grants have rules per actor.
_RULES: dict[tuple[str, str], str] = {
    ("project", "list"): "identity:list_grants",
    ("project", "check"): "identity:check_grant",
    ("project", "create"): "identity:create_grant",
    ("project", "revoke"): "identity:revoke_grant",
    ("system/user", "list"): "identity:list_system_grants_for_user",
    ("system/user", "check"): "identity:check_system_grant_for_user",
    ("system/user", "create"): "identity:create_system_grant_for_user",
    ("system/user", "revoke"): "identity:revoke_system_grant_for_user",
    ("system/group", "list"): "identity:list_system_grants_for_group",
    ("system/group", "check"): "identity:check_system_grant_for_group",
    ("system/group", "create"): "identity:create_system_grant_for_group",
    ("system/group", "revoke"): "identity:revoke_system_grant_for_group",
}


def _rule(key: GrantKey, action: str) -> str:
    kind = f"system/{key.actor}" if key.target == "system" else "project"
    return _RULES[kind, action]


def _policy_target(key: GrantKey, role_id: str | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {key.actor: {"id": key.actor_id}}
    if key.target != "system":
        inner[key.target] = {"id": key.target_id}
    if role_id:
        inner["role"] = {"id": role_id}
    return {"target": inner}


async def _domain_of_target(s: AsyncSession, key: GrantKey) -> str | None:
    """Check actor and target exist; return the target's domain (None for the system)."""
    await get_or_404(s, _ACTORS[key.actor], key.actor_id, key.actor)
    if key.target == "system":
        return None
    row = await get_or_404(s, _TARGETS[key.target], key.target_id, key.target)
    return row.domain_id if isinstance(row, Project) else row.id


async def _role(s: AsyncSession, key: GrantKey, role_id: str) -> Role:
    domain_id = await _domain_of_target(s, key)
    role = await get_or_404(s, Role, role_id, "role")
    if role.domain_id and role.domain_id != domain_id:
        raise Forbidden(
            f"The domain-specific role {role_id} cannot be granted outside its domain "
            f"{role.domain_id}."
        )
    return role


def _missing(key: GrantKey, role_id: str) -> NotFound:
    return NotFound(
        f"Could not find role assignment with role: {role_id}, user or group: "
        f"{key.actor_id}, project, domain, or system: {key.target_id}."
    )


async def _revoke_for(s: AsyncSession, key: GrantKey) -> None:
    """Tokens that may have carried the removed role stop validating.

    A group grant revokes its members' tokens on that target, not every token holding
    the role (which would log out every admin when any group loses ``reader``).
    """
    users = [key.actor_id]
    if key.actor == "group":
        rows = await s.scalars(
            select(Membership.user_id).where(Membership.group_id == key.actor_id)
        )
        users = list(rows)
    for user_id in users:
        if key.target == "project" and not key.inherited:
            await revoke(s, user_id=user_id, project_id=key.target_id)
        elif key.target == "domain" and not key.inherited:
            await revoke(s, user_id=user_id, domain_id=key.target_id)
        else:
            await revoke(s, user_id=user_id)


def _handlers(actor: str, target: str, inherited: bool) -> dict[str, Handler]:
    async def put(req: ApiRequest) -> Response:
        key, role_id = _key(req, actor, target, inherited), req.param("role_id")
        req.enforce(_rule(key, "create"), _policy_target(key, role_id))
        async with writing(req, "role assignment") as s:
            await _role(s, key, role_id)
            await grants.add(s, key, role_id)
        return empty(204)

    async def check(req: ApiRequest) -> Response:
        key, role_id = _key(req, actor, target, inherited), req.param("role_id")
        req.enforce(_rule(key, "check"), _policy_target(key, role_id))
        async with reading(req) as s:
            await _role(s, key, role_id)
            if not await grants.exists(s, key, role_id):
                raise _missing(key, role_id)
        return empty(204)

    async def delete(req: ApiRequest) -> Response:
        key, role_id = _key(req, actor, target, inherited), req.param("role_id")
        req.enforce(_rule(key, "revoke"), _policy_target(key, role_id))
        async with writing(req, "role assignment") as s:
            await _domain_of_target(s, key)
            await get_or_404(s, Role, role_id, "role")
            if not await grants.exists(s, key, role_id):
                raise _missing(key, role_id)
            await grants.remove(s, key, role_id)
            await _revoke_for(s, key)
        return empty(204)

    async def list_roles(req: ApiRequest) -> Response:
        key = _key(req, actor, target, inherited)
        req.enforce(_rule(key, "list"), _policy_target(key))
        async with reading(req) as s:
            await _domain_of_target(s, key)
            ids = await grants.role_ids(s, key)
            rows = list(await s.scalars(select(Role).where(Role.id.in_(ids)).order_by(Role.name)))
        return json_response(collection(req, "roles", [role_api.view(req, r) for r in rows]))

    return {"put": put, "check": check, "delete": delete, "list": list_roles}


def _prefix(actor: str, target: str, inherited: bool) -> str:
    plural = f"{actor}s"
    if target == "system":
        return f"/v3/system/{plural}/{{actor_id}}/roles"
    base = f"/{target}s/{{target_id}}/{plural}/{{actor_id}}/roles"
    return f"/v3/OS-INHERIT{base}" if inherited else f"/v3{base}"


def grant_routes() -> list[Route]:
    routes: list[Route] = []
    shapes = [(a, t, False) for a in _ACTORS for t in ("project", "domain", "system")]
    shapes += [(a, t, True) for a in _ACTORS for t in ("project", "domain")]
    for actor, target, inherited in shapes:
        h = _handlers(actor, target, inherited)
        prefix = _prefix(actor, target, inherited)
        suffix = "/inherited_to_projects" if inherited else ""
        one = f"{prefix}/{{role_id}}{suffix}"
        routes += [
            Route("PUT", one, h["put"]),
            Route("HEAD", one, h["check"]),
            Route("GET", one, h["check"]),
            Route("DELETE", one, h["delete"]),
        ]
        if not (inherited and target == "project"):
            routes += [
                Route("GET", f"{prefix}{suffix}", h["list"]),
                Route("HEAD", f"{prefix}{suffix}", h["list"]),
            ]
    return routes
