"""Listings of the network and volume panels end, whatever the next links say.

The servers here are small in-process fakes answering with crafted ``_links``: one
whose next link never moves on, one that goes round in a circle, one that never
stops giving new markers. The real APIs' paging is exercised by the browser tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx

from nimbostack.clients import network_api
from nimbostack.clients.identity import Session
from nimbostack.clients.network_api import NeutronClient
from nimbostack.clients.volume_api import CinderClient

CATALOG = [
    {"type": "network", "endpoints": [{"interface": "public", "url": "http://net.test"}]},
    {"type": "volumev3", "endpoints": [{"interface": "public", "url": "http://vol.test/v3/p"}]},
]


def _answering(next_of: Callable[[str], str], key: str) -> tuple[httpx.AsyncClient, list[str]]:
    """A client whose server gives one item per page and ``next_of(marker)`` as next."""
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        marker = parse_qs(urlsplit(str(request.url)).query).get("marker", [""])[0]
        asked.append(marker)
        following = next_of(marker)
        links = [{"rel": "next", "href": f"{request.url.copy_with(query=None)}?marker={following}"}]
        return httpx.Response(200, json={key: [{"id": f"item-{marker}"}], f"{key}_links": links})

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), asked


def _neutron(client: httpx.AsyncClient) -> NeutronClient:
    return NeutronClient(Session("tok", CATALOG), client)


def test_a_next_link_that_does_not_move_on_ends_the_listing() -> None:
    client, _asked = _answering(lambda marker: marker or "a", "networks")
    first = asyncio.run(_neutron(client).page("networks", limit=1))
    assert first.next_marker == "a"
    stuck = asyncio.run(_neutron(client).page("networks", limit=1, marker="a"))
    assert stuck.next_marker == ""
    found = asyncio.run(_neutron(client).every("networks"))
    assert [item["id"] for item in found] == ["item-", "item-a"]


def test_next_links_going_round_in_a_circle_end_the_listing() -> None:
    ring = {"": "a", "a": "b", "b": "a"}
    client, asked = _answering(lambda marker: ring[marker], "ports")
    found = asyncio.run(_neutron(client).every("ports"))
    assert len(found) == 3 and asked == ["", "a", "b"]


def test_a_listing_that_never_ends_stops_after_max_pages() -> None:
    client, asked = _answering(lambda marker: marker + "x", "routers")
    found = asyncio.run(_neutron(client).every("routers"))
    assert len(found) == network_api.MAX_PAGES == len(asked)


def test_volume_pages_end_like_network_pages() -> None:
    client, asked = _answering(lambda marker: marker or "v1", "volumes")
    cinder = CinderClient(Session("tok", CATALOG), client)
    assert asyncio.run(cinder.volumes(limit=1)).next_marker == "v1"
    assert asyncio.run(cinder.volumes(limit=1, marker="v1")).next_marker == ""
    assert asked == ["", "v1"]
