"""Domains: /v3/domains."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Forbidden
from nimbostack.identity.api.entities import (
    BOOLEAN,
    DESCRIPTION,
    NAME,
    duplicate,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Domain
from nimbostack.identity.objects import domains as domain_objects
from nimbostack.identity.tokens.revoke import revoke

DEFAULT_DOMAIN = "default"
# Keystone limits domain names to 64 characters (projects and users get 255).
_DOMAIN_NAME = {**NAME, "maxLength": 64}
_FIELDS = {"name": _DOMAIN_NAME, "description": DESCRIPTION, "enabled": BOOLEAN}
_TAGS = {"type": "array", "items": {"type": "string", "maxLength": 255}}
_OPTIONS = {"type": "object"}
CREATE = envelope(
    "domain",
    {
        **_FIELDS,
        "explicit_domain_id": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
        "tags": _TAGS,
        "options": _OPTIONS,
    },
    required=("name",),
)
UPDATE = envelope("domain", {**_FIELDS, "tags": _TAGS, "options": _OPTIONS})


def view(req: ApiRequest, domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "name": domain.name,
        "description": domain.description or "",
        "enabled": domain.enabled,
        "tags": list(domain.extra.get("tags", [])),
        "options": dict(domain.extra.get("options", {})),
        "links": self_link(req, f"/v3/domains/{domain.id}"),
    }


def _target(domain_id: str) -> dict[str, Any]:
    return {"target": {"domain": {"id": domain_id}}}


async def list_domains(req: ApiRequest) -> Response:
    req.enforce("identity:list_domains", {})
    stmt = select(Domain).order_by(Domain.name)
    if "name" in req.query:
        stmt = stmt.where(Domain.name == req.query["name"])
    if "enabled" in req.query:
        stmt = stmt.where(Domain.enabled == req.query_bool("enabled"))
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    items = [view(req, d) for d in rows]
    return json_response(collection(req, "domains", items))


async def show_domain(req: ApiRequest) -> Response:
    domain_id = req.param("domain_id")
    req.enforce("identity:get_domain", _target(domain_id))
    async with reading(req) as s:
        domain = await get_or_404(s, Domain, domain_id, "domain")
    return json_response({"domain": view(req, domain)})


async def create_domain(req: ApiRequest) -> Response:
    req.enforce("identity:create_domain", {})
    body = (await req.json(CREATE))["domain"]
    async with writing(req, "domain") as s:
        if await s.scalar(select(Domain.id).where(Domain.name == body["name"])):
            raise duplicate("domain", body["name"])
        domain_id = body.get("explicit_domain_id") or new_id()
        if await s.get(Domain, domain_id):
            raise duplicate("domain", body["name"])
        domain = Domain(
            id=domain_id,
            name=body["name"],
            description=body.get("description") or "",
            enabled=body.get("enabled", True),
            extra=_extra(body, {}),
        )
        s.add(domain)
    return json_response({"domain": view(req, domain)}, 201)


def _extra(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    extra = dict(current)
    for key in ("tags", "options"):
        if key in body:
            extra[key] = body[key]
    return extra


async def update_domain(req: ApiRequest) -> Response:
    domain_id = req.param("domain_id")
    req.enforce("identity:update_domain", _target(domain_id))
    body = (await req.json(UPDATE))["domain"]
    async with writing(req, "domain") as s:
        domain = await get_or_404(s, Domain, domain_id, "domain", lock=True)
        name = body.get("name")
        if name and name != domain.name:
            if await s.scalar(select(Domain.id).where(Domain.name == name)):
                raise duplicate("domain", name)
            domain.name = name
        if "description" in body:
            domain.description = body["description"] or ""
        if body.get("enabled") is False and domain.enabled:
            if domain_id == DEFAULT_DOMAIN:
                raise BadRequest("The default domain cannot be disabled.")
            await revoke(s, domain_id=domain_id)
        if "enabled" in body:
            domain.enabled = body["enabled"]
        domain.extra = _extra(body, domain.extra)
    return json_response({"domain": view(req, domain)})


async def delete_domain(req: ApiRequest) -> Response:
    domain_id = req.param("domain_id")
    req.enforce("identity:delete_domain", _target(domain_id))
    async with writing(req, "domain") as s:
        domain = await get_or_404(s, Domain, domain_id, "domain")
        if domain_id == DEFAULT_DOMAIN:
            raise Forbidden("Cannot delete the default domain.")
        if domain.enabled:
            raise Forbidden("Cannot delete a domain that is enabled, please disable it first.")
        await domain_objects.delete_domain(s, domain)
        await revoke(s, domain_id=domain_id)
    return empty(204)
