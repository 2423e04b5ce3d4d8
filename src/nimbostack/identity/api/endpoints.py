"""Catalog endpoints: /v3/endpoints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest
from nimbostack.identity.api.entities import (
    BOOLEAN,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import CatalogService, Endpoint, Region

INTERFACES = ("public", "internal", "admin")
_REGION = {"type": ["string", "null"], "maxLength": 255}
_FIELDS = {
    "interface": {"type": "string", "enum": list(INTERFACES)},
    "url": {"type": "string", "minLength": 1, "maxLength": 2048, "pattern": "^[a-zA-Z0-9+.-]+://"},
    "service_id": {"type": "string", "minLength": 1, "maxLength": 64},
    "region_id": _REGION,
    "region": _REGION,
    "enabled": BOOLEAN,
}
CREATE = envelope("endpoint", _FIELDS, required=("interface", "url", "service_id"), strict=False)
UPDATE = envelope("endpoint", _FIELDS, strict=False)
_COLUMNS = ("interface", "url", "service_id", "region_id", "enabled")
_NOT_EXTRA = (*_COLUMNS, "region", "id", "links")


def view(req: ApiRequest, ep: Endpoint) -> dict[str, Any]:
    return {
        **ep.extra,
        "id": ep.id,
        "interface": ep.interface,
        "url": ep.url,
        "service_id": ep.service_id,
        "region_id": ep.region_id,
        "region": ep.region_id,
        "enabled": ep.enabled,
        "links": self_link(req, f"/v3/endpoints/{ep.id}"),
    }


async def _refs(s: AsyncSession, body: dict[str, Any]) -> None:
    """Normalise the legacy ``region`` key, check the service, create a missing region.

    Keystone creates a region named by an endpoint on the fly (clients such as Tempest
    rely on it), so an unknown region is not an error.
    """
    if "region" in body and "region_id" not in body:
        body["region_id"] = body["region"]
    if "service_id" in body and await s.get(CatalogService, body["service_id"]) is None:
        raise BadRequest(f"Could not find service: {body['service_id']}.")
    region_id = body.get("region_id")
    if region_id and await s.get(Region, region_id) is None:
        s.add(Region(id=region_id, description="", parent_region_id=None, extra={}))
        await s.flush()


async def list_endpoints(req: ApiRequest) -> Response:
    req.enforce("identity:list_endpoints", {})
    stmt = select(Endpoint).order_by(Endpoint.service_id, Endpoint.interface)
    for name in ("service_id", "interface", "region_id"):
        if name in req.query:
            stmt = stmt.where(getattr(Endpoint, name) == req.query[name])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "endpoints", [view(req, e) for e in rows]))


async def show_endpoint(req: ApiRequest) -> Response:
    req.enforce("identity:get_endpoint", {})
    async with reading(req) as s:
        ep = await get_or_404(s, Endpoint, req.param("endpoint_id"), "endpoint")
    return json_response({"endpoint": view(req, ep)})


async def create_endpoint(req: ApiRequest) -> Response:
    req.enforce("identity:create_endpoint", {})
    body = (await req.json(CREATE))["endpoint"]
    async with writing(req, "endpoint") as s:
        await _refs(s, body)
        ep = Endpoint(
            id=new_id(),
            interface=body["interface"],
            url=body["url"],
            service_id=body["service_id"],
            region_id=body.get("region_id"),
            enabled=body.get("enabled", True),
            extra={k: v for k, v in body.items() if k not in _NOT_EXTRA},
        )
        s.add(ep)
    return json_response({"endpoint": view(req, ep)}, 201)


async def update_endpoint(req: ApiRequest) -> Response:
    req.enforce("identity:update_endpoint", {})
    body = (await req.json(UPDATE))["endpoint"]
    async with writing(req, "endpoint") as s:
        ep = await get_or_404(s, Endpoint, req.param("endpoint_id"), "endpoint", lock=True)
        await _refs(s, body)
        for key in _COLUMNS:
            if key in body:
                setattr(ep, key, body[key])
        extra = {k: v for k, v in body.items() if k not in _NOT_EXTRA}
        ep.extra = {**ep.extra, **extra}
    return json_response({"endpoint": view(req, ep)})


async def delete_endpoint(req: ApiRequest) -> Response:
    req.enforce("identity:delete_endpoint", {})
    async with writing(req, "endpoint") as s:
        ep = await get_or_404(s, Endpoint, req.param("endpoint_id"), "endpoint")
        await s.delete(ep)
    return empty(204)
