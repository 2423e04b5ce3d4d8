"""Catalog services: /v3/services."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.identity.api.entities import (
    BOOLEAN,
    DESCRIPTION,
    NAME,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import CatalogService, Endpoint

_FIELDS = {
    "type": NAME,
    "name": {"type": ["string", "null"], "maxLength": 255},
    "description": DESCRIPTION,
    "enabled": BOOLEAN,
}
CREATE = envelope("service", _FIELDS, required=("type",), strict=False)
UPDATE = envelope("service", _FIELDS, strict=False)
_COLUMNS = ("type", "name", "description", "enabled")


def view(req: ApiRequest, svc: CatalogService) -> dict[str, Any]:
    return {
        **svc.extra,
        "id": svc.id,
        "type": svc.type,
        "name": svc.name,
        "description": svc.description or "",
        "enabled": svc.enabled,
        "links": self_link(req, f"/v3/services/{svc.id}"),
    }


def _extra(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in (*_COLUMNS, "id", "links")}


async def list_services(req: ApiRequest) -> Response:
    req.enforce("identity:list_services", {})
    stmt = select(CatalogService).order_by(CatalogService.type, CatalogService.name)
    if "type" in req.query:
        stmt = stmt.where(CatalogService.type == req.query["type"])
    if "name" in req.query:
        stmt = stmt.where(CatalogService.name == req.query["name"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "services", [view(req, x) for x in rows]))


async def show_service(req: ApiRequest) -> Response:
    req.enforce("identity:get_service", {})
    async with reading(req) as s:
        svc = await get_or_404(s, CatalogService, req.param("service_id"), "service")
    return json_response({"service": view(req, svc)})


async def create_service(req: ApiRequest) -> Response:
    req.enforce("identity:create_service", {})
    body = (await req.json(CREATE))["service"]
    async with writing(req, "service") as s:
        svc = CatalogService(
            id=new_id(),
            type=body["type"],
            name=body.get("name") or "",
            description=body.get("description") or "",
            enabled=body.get("enabled", True),
            extra=_extra(body),
        )
        s.add(svc)
    return json_response({"service": view(req, svc)}, 201)


async def update_service(req: ApiRequest) -> Response:
    req.enforce("identity:update_service", {})
    body = (await req.json(UPDATE))["service"]
    async with writing(req, "service") as s:
        svc = await get_or_404(s, CatalogService, req.param("service_id"), "service", lock=True)
        for key in _COLUMNS:
            if key in body:
                value = body[key]
                setattr(svc, key, value if value is not None or key == "enabled" else "")
        svc.extra = {**svc.extra, **_extra(body)}
    return json_response({"service": view(req, svc)})


async def delete_service(req: ApiRequest) -> Response:
    """Delete a service and its endpoints, as Keystone does."""
    req.enforce("identity:delete_service", {})
    async with writing(req, "service") as s:
        svc = await get_or_404(s, CatalogService, req.param("service_id"), "service")
        await s.execute(delete(Endpoint).where(Endpoint.service_id == svc.id))
        await s.delete(svc)
    return empty(204)
