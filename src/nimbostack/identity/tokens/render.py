"""Renders a token payload into Keystone's token body, looking up names, roles, catalog."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.core.errors import Unauthorized
from nimbostack.core.timeutil import iso
from nimbostack.identity.db.models import ApplicationCredential, Domain, Project, User
from nimbostack.identity.objects.assignments import effective_roles, implied_closure
from nimbostack.identity.objects.catalog import build_catalog
from nimbostack.identity.objects.passwords import current_password
from nimbostack.identity.objects.users import is_enabled
from nimbostack.identity.tokens.formats import TokenPayload

UNAUTHORIZED = "The request you have made requires authentication."


async def _enabled_domain(session: AsyncSession, domain_id: str) -> Domain:
    domain = await session.get(Domain, domain_id)
    if domain is None or not domain.enabled:
        raise Unauthorized(UNAUTHORIZED)
    return domain


async def _scope_roles(session: AsyncSession, p: TokenPayload) -> list[tuple[str, str]]:
    roles = await effective_roles(
        session, p.user_id, project_id=p.project_id, domain_id=p.domain_id, system=p.system
    )
    if p.app_cred_id:
        acred = await session.get(ApplicationCredential, p.app_cred_id)
        if acred is None or (acred.expires_at and acred.expires_at < time.time()):
            raise Unauthorized(UNAUTHORIZED)
        # The credential's roles bring the roles they imply, as the user's own do;
        # the intersection keeps only those the user still holds.
        allowed = await implied_closure(session, (r["id"] for r in acred.roles))
        roles = [r for r in roles if r[0] in allowed]
    return roles


async def render(
    session: AsyncSession, p: TokenPayload, *, catalog: bool = True, days_inactive: int = 0
) -> dict[str, Any]:
    """The ``{"token": ...}`` body, or Unauthorized if the token no longer holds."""
    user = await session.get(User, p.user_id)
    if user is None or not is_enabled(user, days_inactive):
        raise Unauthorized(UNAUTHORIZED)
    user_domain = await _enabled_domain(session, user.domain_id)
    password = await current_password(session, user.id)
    body: dict[str, Any] = {
        "methods": list(p.methods),
        "user": {
            "id": user.id,
            "name": user.name,
            "domain": {"id": user_domain.id, "name": user_domain.name},
            "password_expires_at": iso(password.expires_at, micro=True)
            if password and password.expires_at
            else None,
        },
        "audit_ids": list(p.audit_ids),
        "expires_at": iso(p.expires_at, micro=True),
        "issued_at": iso(p.issued_at, micro=True),
    }
    scoped = await _render_scope(session, p, body)
    if scoped:
        roles = await _scope_roles(session, p)
        if not roles:
            raise Unauthorized(UNAUTHORIZED)
        body["roles"] = [{"id": rid, "name": name} for rid, name in roles]
        if catalog:
            body["catalog"] = await build_catalog(session)
    if p.app_cred_id:
        acred = await session.get(ApplicationCredential, p.app_cred_id)
        if acred is not None:
            body["application_credential"] = {
                "id": acred.id,
                "name": acred.name,
                "restricted": not acred.unrestricted,
            }
    return {"token": body}


async def _render_scope(session: AsyncSession, p: TokenPayload, body: dict[str, Any]) -> bool:
    if p.project_id:
        project = await session.get(Project, p.project_id)
        if project is None or not project.enabled:
            raise Unauthorized(UNAUTHORIZED)
        domain = await _enabled_domain(session, project.domain_id)
        body["project"] = {
            "id": project.id,
            "name": project.name,
            "domain": {"id": domain.id, "name": domain.name},
        }
        body["is_domain"] = False
        return True
    if p.domain_id:
        domain = await _enabled_domain(session, p.domain_id)
        body["domain"] = {"id": domain.id, "name": domain.name}
        return True
    if p.system:
        body["system"] = {"all": True}
        return True
    return False
