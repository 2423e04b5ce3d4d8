"""Resolving the scope a token asks for: project, domain, system, or none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import BadRequest, Unauthorized
from nimbostack.identity.authn import Authenticated, find_domain
from nimbostack.identity.db.models import Project, User
from nimbostack.identity.objects.assignments import effective_roles


@dataclass(frozen=True)
class Scope:
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False


NO_ROLES = "User {user} has no access to {what} {target}."


async def _project(session: AsyncSession, ref: dict[str, Any]) -> Project:
    if "id" in ref:
        project = await session.get(Project, ref["id"])
    elif "name" in ref and "domain" in ref:
        domain = await find_domain(session, ref["domain"])
        project = await session.scalar(
            select(Project).where(Project.name == ref["name"], Project.domain_id == domain.id)
        )
    else:
        raise BadRequest(
            "Invalid input for field 'scope.project': an id, or a name and a domain is required"
        )
    if project is None or not project.enabled:
        raise Unauthorized("The request you have made requires authentication.")
    await find_domain(session, {"id": project.domain_id})
    return project


async def resolve(session: AsyncSession, who: Authenticated, ref: Any) -> Scope:
    """The scope to seal into the token; Unauthorized if the user holds no role there."""
    if who.app_cred is not None:
        if ref:
            raise Unauthorized("An application credential token is scoped to its project only.")
        return Scope(project_id=who.app_cred.project_id)
    if ref == "unscoped" or (ref is None and who.parent is not None):
        return Scope()
    if ref is None:
        return await _default_project(session, who.user_id)
    if "project" in ref:
        project = await _project(session, ref["project"])
        if not await effective_roles(session, who.user_id, project_id=project.id):
            raise Unauthorized(NO_ROLES.format(user=who.user_id, what="project", target=project.id))
        return Scope(project_id=project.id)
    if "domain" in ref:
        domain = await find_domain(session, ref["domain"])
        if not await effective_roles(session, who.user_id, domain_id=domain.id):
            raise Unauthorized(NO_ROLES.format(user=who.user_id, what="domain", target=domain.id))
        return Scope(domain_id=domain.id)
    if "system" in ref:
        if not await effective_roles(session, who.user_id, system=True):
            raise Unauthorized(NO_ROLES.format(user=who.user_id, what="system", target="all"))
        return Scope(system=True)
    raise BadRequest("Invalid input for field 'scope': expected project, domain or system")


async def _default_project(session: AsyncSession, user_id: str) -> Scope:
    # Keystone scopes to the default project when the user holds a role there.
    user = await session.get(User, user_id)
    if user is None or not user.default_project_id:
        return Scope()
    project = await session.get(Project, user.default_project_id)
    if project is None or not project.enabled:
        return Scope()
    if await effective_roles(session, user_id, project_id=project.id):
        return Scope(project_id=project.id)
    return Scope()
