"""Regions: /v3/regions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from nimbostack.core.api.request import ApiRequest
from nimbostack.core.api.responses import empty, json_response
from nimbostack.core.errors import BadRequest, Conflict, Forbidden
from nimbostack.identity.api.entities import (
    DESCRIPTION,
    envelope,
    get_or_404,
    new_id,
    reading,
    writing,
)
from nimbostack.identity.api.links import collection, self_link
from nimbostack.identity.db.models import Endpoint, Region

_REGION_ID = {"type": "string", "minLength": 1, "maxLength": 255}
_FIELDS = {
    "description": DESCRIPTION,
    "parent_region_id": {"type": ["string", "null"], "maxLength": 255},
}
CREATE = envelope("region", {**_FIELDS, "id": _REGION_ID}, strict=False)
UPDATE = envelope("region", _FIELDS, strict=False)
_NOT_EXTRA = ("id", "description", "parent_region_id", "links")


def view(req: ApiRequest, region: Region) -> dict[str, Any]:
    return {
        **region.extra,
        "id": region.id,
        "description": region.description or "",
        "parent_region_id": region.parent_region_id,
        "links": self_link(req, f"/v3/regions/{region.id}"),
    }


async def _parents(s: AsyncSession) -> dict[str, str | None]:
    rows = await s.execute(select(Region.id, Region.parent_region_id))
    return {rid: parent for rid, parent in rows}


async def _check_parent(s: AsyncSession, region_id: str, parent_id: str | None) -> None:
    """The parent must exist and must not be the region itself or one of its children."""
    if parent_id is None:
        return
    parents = await _parents(s)
    if parent_id not in parents:
        raise BadRequest(f"Could not find region: {parent_id}.")
    seen: set[str] = set()
    current: str | None = parent_id
    while current is not None and current not in seen:
        if current == region_id:
            raise BadRequest(
                f"Circular region hierarchy: {parent_id} cannot be the parent of {region_id}."
            )
        seen.add(current)
        current = parents.get(current)


async def list_regions(req: ApiRequest) -> Response:
    req.enforce("identity:list_regions", {})
    stmt = select(Region).order_by(Region.id)
    if "parent_region_id" in req.query:
        stmt = stmt.where(Region.parent_region_id == req.query["parent_region_id"])
    async with reading(req) as s:
        rows = list(await s.scalars(stmt))
    return json_response(collection(req, "regions", [view(req, r) for r in rows]))


async def show_region(req: ApiRequest) -> Response:
    req.enforce("identity:get_region", {})
    async with reading(req) as s:
        region = await get_or_404(s, Region, req.param("region_id"), "region")
    return json_response({"region": view(req, region)})


async def _create(req: ApiRequest, region_id: str | None) -> Response:
    req.enforce("identity:create_region", {})
    body = (await req.json(CREATE))["region"]
    if region_id and body.get("id", region_id) != region_id:
        raise BadRequest("The region id in the body must match the one in the URL.")
    region_id = region_id or body.get("id") or new_id()
    async with writing(req, "region") as s:
        if await s.get(Region, region_id):
            raise Conflict(
                f"Conflict occurred attempting to store region - Duplicate ID, {region_id}."
            )
        await _check_parent(s, region_id, body.get("parent_region_id"))
        region = Region(
            id=region_id,
            description=body.get("description") or "",
            parent_region_id=body.get("parent_region_id"),
            extra={k: v for k, v in body.items() if k not in _NOT_EXTRA},
        )
        s.add(region)
    return json_response({"region": view(req, region)}, 201)


async def create_region(req: ApiRequest) -> Response:
    return await _create(req, None)


async def create_region_with_id(req: ApiRequest) -> Response:
    return await _create(req, req.param("region_id"))


async def update_region(req: ApiRequest) -> Response:
    req.enforce("identity:update_region", {})
    body = (await req.json(UPDATE))["region"]
    async with writing(req, "region") as s:
        region = await get_or_404(s, Region, req.param("region_id"), "region", lock=True)
        if "parent_region_id" in body:
            await _check_parent(s, region.id, body["parent_region_id"])
            region.parent_region_id = body["parent_region_id"]
        if "description" in body:
            region.description = body["description"] or ""
        extra = {k: v for k, v in body.items() if k not in _NOT_EXTRA}
        region.extra = {**region.extra, **extra}
    return json_response({"region": view(req, region)})


async def delete_region(req: ApiRequest) -> Response:
    """Delete a region with its child regions, unless any of them has endpoints."""
    req.enforce("identity:delete_region", {})
    async with writing(req, "region") as s:
        region = await get_or_404(s, Region, req.param("region_id"), "region")
        parents = await _parents(s)
        doomed = [region.id]
        for current in doomed:
            doomed.extend(r for r, p in parents.items() if p == current and r not in doomed)
        if await s.scalar(select(Endpoint.id).where(Endpoint.region_id.in_(doomed))):
            raise Forbidden(
                f"Unable to delete region {region.id} because it or its child regions "
                "have associated endpoints."
            )
        for region_id in reversed(doomed):
            row = await s.get(Region, region_id)
            if row is not None:
                await s.delete(row)
    return empty(204)
