"""The service catalog as tokens and /v3/auth/catalog present it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nimbostack.identity.db.models import CatalogService, Endpoint


async def build_catalog(session: AsyncSession) -> list[dict[str, Any]]:
    services = (await session.scalars(select(CatalogService).where(CatalogService.enabled))).all()
    endpoints = (await session.scalars(select(Endpoint).where(Endpoint.enabled))).all()
    by_service: dict[str, list[dict[str, Any]]] = {}
    for ep in endpoints:
        by_service.setdefault(ep.service_id, []).append(
            {
                "id": ep.id,
                "interface": ep.interface,
                "region_id": ep.region_id,
                "url": ep.url,
                "region": ep.region_id,
            }
        )
    return [
        {"endpoints": by_service.get(svc.id, []), "id": svc.id, "type": svc.type, "name": svc.name}
        for svc in services
    ]
