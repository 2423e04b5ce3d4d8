"""Domains seen through the projects API: projects with ``is_domain: true``.

Keystone stores a domain as a project that acts as a domain. Nimbostack keeps domains
in their own table, so the projects API maps those calls onto domain rows: creating an
``is_domain`` project creates a domain, and a domain id given to GET, PATCH or DELETE
/v3/projects/{id} reaches that domain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import json_response
from nimbostack.core.db.locks import get_for_update
from nimbostack.core.errors import BadRequest, Forbidden, NotFound
from nimbostack.identity.api.entities import duplicate, new_id, writing
from nimbostack.identity.api.links import self_link
from nimbostack.identity.db.models import Domain
from nimbostack.identity.objects import domains as domain_objects
from nimbostack.identity.tokens.revoke import revoke

DEFAULT_DOMAIN = "default"


def view(req: ApiRequest, domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "domain_id": None,
        "description": domain.description or "",
        "enabled": domain.enabled,
        "parent_id": None,
        "is_domain": True,
        "tags": list(domain.extra.get("tags", [])),
        "options": dict(domain.extra.get("options", {})),
        "links": self_link(req, f"/v3/projects/{domain.id}"),
    }


async def find(s: AsyncSession, project_id: str, *, lock: bool = False) -> Domain:
    """The domain behind a project id that names no project (else the project 404)."""
    domain = await (get_for_update(s, Domain, project_id) if lock else s.get(Domain, project_id))
    if domain is None:
        raise NotFound(f"Could not find project: {project_id}.")
    return domain


async def create(req: ApiRequest, body: dict[str, Any]) -> Response:
    """POST /v3/projects with ``is_domain: true``: a new top-level domain."""
    if body.get("domain_id") or body.get("parent_id"):
        raise BadRequest("A project acting as a domain has no domain_id and no parent_id.")
    async with writing(req, "project") as s:
        if await s.scalar(select(Domain.id).where(Domain.name == body["name"])):
            raise duplicate("project", body["name"])
        domain = Domain(
            id=new_id(),
            name=body["name"],
            description=body.get("description") or "",
            enabled=body.get("enabled", True),
            extra={k: body[k] for k in ("tags", "options") if k in body},
        )
        s.add(domain)
    return json_response({"project": view(req, domain)}, 201)


async def update(req: ApiRequest, s: AsyncSession, domain: Domain, body: dict[str, Any]) -> None:
    """PATCH /v3/projects/{domain_id}: the fields a domain shares with a project."""
    name = body.get("name")
    if name and name != domain.name:
        if await s.scalar(select(Domain.id).where(Domain.name == name)):
            raise duplicate("project", name)
        domain.name = name
    if "description" in body:
        domain.description = body["description"] or ""
    if body.get("enabled") is False and domain.enabled:
        if domain.id == DEFAULT_DOMAIN:
            raise BadRequest("The default domain cannot be disabled.")
        await revoke(s, domain_id=domain.id)
    if "enabled" in body:
        domain.enabled = body["enabled"]
    extra: dict[str, Any] = {k: body[k] for k in ("tags", "options") if k in body}
    domain.extra = {**domain.extra, **extra}


async def delete(s: AsyncSession, domain: Domain) -> None:
    """DELETE /v3/projects/{domain_id}: the same rules as deleting the domain."""
    if domain.id == DEFAULT_DOMAIN:
        raise Forbidden("Cannot delete the default domain.")
    if domain.enabled:
        raise Forbidden("Cannot delete a domain that is enabled, please disable it first.")
    await domain_objects.delete_domain(s, domain)
    await revoke(s, domain_id=domain.id)
