"""Networking (Neutron v2.0) as a user's tools call it: one page at a time, with markers.

``NetworkClient`` (network.py) serves the services; this client serves the dashboard,
over the shared pool with the user's token, raising ``RestError`` with Neutron's own
message. Listings come one page at a time (``page``), or whole through ``every``, which
follows the ``<resources>_links`` next links only while they advance (a new marker,
items on the page) and never past ``MAX_PAGES``: a server whose next link never ends
cannot hold a page of ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from nimbostack.clients.identity import Session
from nimbostack.clients.rest import RestClient

Doc = dict[str, Any]
MAX_PAGES = 50


@dataclass(frozen=True)
class Listing:
    """One page of a collection and the marker of the next one ("" on the last page)."""

    items: list[Doc]
    next_marker: str = ""


def next_marker(body: Doc, key: str) -> str:
    """The ``marker`` of the page's next link, if it names one."""
    for link in body.get(f"{key}_links") or []:
        if link.get("rel") == "next":
            query = dict(parse_qsl(urlsplit(str(link.get("href", ""))).query))
            return query.get("marker", "")
    return ""


class NeutronClient(RestClient):
    """The network endpoint of the catalog with one token."""

    service = "network"

    def __init__(self, session: Session, client: httpx.AsyncClient) -> None:
        super().__init__(session.endpoint("network").rstrip("/") + "/v2.0", session.token, client)

    # -- listings ------------------------------------------------------------------------
    async def page(
        self, path: str, *, limit: int, marker: str = "", key: str = "", **filters: Any
    ) -> Listing:
        """One page of ``/<path>`` (``key``: the body's key when it differs from the path)."""
        key = key or path
        params: list[tuple[str, str]] = [("limit", str(limit))]
        if marker:
            params.append(("marker", marker))
        for name, value in filters.items():
            values = value if isinstance(value, list | tuple) else [value]
            params.extend((name, _text(v)) for v in values)
        body = await self.call("GET", f"/{path}", params=params)
        items = [dict(item) for item in body[key]]
        following = next_marker(body, key)
        # A next link is followed only when it moves on from the marker we asked with.
        if not items or following == marker:
            following = ""
        return Listing(items, following)

    async def every(
        self, path: str, *, limit: int = 200, key: str = "", **filters: Any
    ) -> list[Doc]:
        """The whole collection, page by page, while the pages advance (at most MAX_PAGES)."""
        found: list[Doc] = []
        marker, seen = "", {""}
        for _ in range(MAX_PAGES):
            listing = await self.page(path, limit=limit, marker=marker, key=key, **filters)
            found.extend(listing.items)
            if not listing.next_marker or listing.next_marker in seen:
                break
            marker = listing.next_marker
            seen.add(marker)
        return found

    # -- single resources ------------------------------------------------------------------
    async def show(self, singular: str, plural: str, item_id: str) -> Doc:
        return dict((await self.call("GET", f"/{plural}/{item_id}"))[singular])

    async def create(self, singular: str, plural: str, **fields: Any) -> Doc:
        body = {singular: fields}
        return dict((await self.call("POST", f"/{plural}", json=body))[singular])

    async def update(self, singular: str, plural: str, item_id: str, **fields: Any) -> Doc:
        body = {singular: fields}
        return dict((await self.call("PUT", f"/{plural}/{item_id}", json=body))[singular])

    async def delete(self, plural: str, item_id: str) -> None:
        await self.call("DELETE", f"/{plural}/{item_id}")

    # -- routers -----------------------------------------------------------------------------
    async def add_interface(self, router_id: str, subnet_id: str) -> Doc:
        body = {"subnet_id": subnet_id}
        return dict(await self.call("PUT", f"/routers/{router_id}/add_router_interface", json=body))

    async def remove_interface(self, router_id: str, subnet_id: str) -> Doc:
        body = {"subnet_id": subnet_id}
        path = f"/routers/{router_id}/remove_router_interface"
        return dict(await self.call("PUT", path, json=body))


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
