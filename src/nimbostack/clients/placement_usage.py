"""Placement read-outs for people: providers with their inventories and usages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestClient

VERSION = "placement 1.36"


@dataclass(frozen=True)
class ProviderUsage:
    """One resource provider: per resource class, its capacity and what is used."""

    uuid: str
    name: str
    capacity: dict[str, int]
    used: dict[str, int]


def _capacity(inventory: dict[str, Any]) -> int:
    total = int(inventory["total"]) - int(inventory.get("reserved", 0))
    return int(total * float(inventory.get("allocation_ratio", 1.0)))


class PlacementReader(RestClient):
    """GETs on the placement endpoint of the catalog (admin token)."""

    service = "placement"

    def __init__(self, session: Session, client: httpx.AsyncClient) -> None:
        headers = {"OpenStack-API-Version": VERSION}
        super().__init__(session.endpoint("placement"), session.token, client, headers)

    async def provider_usage(self, uuid: str, name: str) -> ProviderUsage:
        inventories, usages = await asyncio.gather(
            self.call("GET", f"/resource_providers/{uuid}/inventories"),
            self.call("GET", f"/resource_providers/{uuid}/usages"),
        )
        return ProviderUsage(
            uuid=uuid,
            name=name,
            capacity={rc: _capacity(inv) for rc, inv in inventories["inventories"].items()},
            used={rc: int(n) for rc, n in usages["usages"].items()},
        )

    async def usages(self) -> list[ProviderUsage]:
        """Every provider with its capacity and usage (two calls per provider, in parallel)."""
        providers = (await self.call("GET", "/resource_providers"))["resource_providers"]
        return list(
            await asyncio.gather(*(self.provider_usage(p["uuid"], p["name"]) for p in providers))
        )
