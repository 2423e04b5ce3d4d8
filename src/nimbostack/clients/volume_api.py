"""Block storage (Cinder v3) as a user's tools call it: volumes and snapshots, paged.

``VolumeClient`` (volume.py) is compute's, for attachments; this one is the dashboard's,
over the shared pool with the user's token. Listings come one page at a time with the
marker of the next page, taken from the ``<resources>_links`` next link only when it
moves on from the page asked for.
"""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.network_api import Listing, next_marker
from nimbostack.clients.rest import RestClient

Doc = dict[str, Any]
VERSION = "3.71"
TYPES = ("block-storage", "volumev3")


def endpoint(session: Session) -> str:
    """The block storage endpoint under either catalog type."""
    for service_type in TYPES:
        if any(entry.get("type") == service_type for entry in session.catalog):
            return session.endpoint(service_type)
    return session.endpoint(TYPES[0])  # raises: no block storage in the catalog


class CinderClient(RestClient):
    """The block storage endpoint of the catalog with one token."""

    service = "volume"

    def __init__(self, session: Session, client: httpx.AsyncClient) -> None:
        headers = {"OpenStack-API-Version": f"volume {VERSION}"}
        super().__init__(endpoint(session), session.token, client, headers)

    async def page(self, path: str, key: str, *, limit: int, marker: str = "") -> Listing:
        """One page of ``/<path>`` (``key``: the collection's key in the body)."""
        params: dict[str, Any] = {"limit": limit}
        if marker:
            params["marker"] = marker
        body = await self.call("GET", f"/{path}", params=params)
        items = [dict(item) for item in body[key]]
        following = next_marker(body, key)
        if not items or following == marker:
            following = ""
        return Listing(items, following)

    async def volumes(self, *, limit: int, marker: str = "") -> Listing:
        return await self.page("volumes/detail", "volumes", limit=limit, marker=marker)

    async def volume(self, volume_id: str) -> Doc:
        return dict((await self.call("GET", f"/volumes/{volume_id}"))["volume"])

    async def create_volume(self, **fields: Any) -> Doc:
        body = {"volume": {k: v for k, v in fields.items() if v not in (None, "")}}
        return dict((await self.call("POST", "/volumes", json=body))["volume"])

    async def delete_volume(self, volume_id: str) -> None:
        await self.call("DELETE", f"/volumes/{volume_id}")

    async def snapshots(self, *, limit: int, marker: str = "") -> Listing:
        return await self.page("snapshots/detail", "snapshots", limit=limit, marker=marker)

    async def create_snapshot(self, volume_id: str, name: str, force: bool = False) -> Doc:
        body = {"snapshot": {"volume_id": volume_id, "name": name, "force": force}}
        return dict((await self.call("POST", "/snapshots", json=body))["snapshot"])

    async def delete_snapshot(self, snapshot_id: str) -> None:
        await self.call("DELETE", f"/snapshots/{snapshot_id}")
