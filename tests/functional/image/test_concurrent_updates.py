"""Concurrent changes of one image all land: tags added at once, properties patched at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import CLIENT_TLS, Account

N = 20
PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


@pytest.fixture
async def client(image_api: ImageApi, project_a: Account) -> AsyncIterator[httpx.AsyncClient]:
    # Made in set-up: the token is fetched by a blocking call, which a test may not make.
    token = image_api.cloud.project_token(project_a.user, project_a.password, project_a.project)
    headers = {"X-Auth-Token": token}
    base = image_api.url
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, verify=CLIENT_TLS
    ) as client:
        yield client


async def _send(client: httpx.AsyncClient, calls: list[tuple[str, str, object]]) -> list[int]:
    sent = [
        client.request(method, path, json=body, headers=PATCH if method == "PATCH" else None)
        for method, path, body in calls
    ]
    return [resp.status_code for resp in await asyncio.gather(*sent)]


async def _new_image(client: httpx.AsyncClient) -> str:
    body = {"name": "many", "disk_format": "raw", "container_format": "bare"}
    made = await client.post("/v2/images", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _shown(client: httpx.AsyncClient, image_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = (await client.get(f"/v2/images/{image_id}")).json()
    return shown


async def test_tags_added_at_once_all_stay(client: httpx.AsyncClient) -> None:
    image_id = await _new_image(client)
    calls = [("PUT", f"/v2/images/{image_id}/tags/t{i}", None) for i in range(N)]
    assert await _send(client, calls) == [204] * N
    tags = (await _shown(client, image_id))["tags"]
    assert sorted(tags) == sorted(f"t{i}" for i in range(N))


async def test_properties_patched_at_once_all_stay(client: httpx.AsyncClient) -> None:
    image_id = await _new_image(client)
    calls = [
        ("PATCH", f"/v2/images/{image_id}", [{"op": "add", "path": f"/p{i}", "value": "v"}])
        for i in range(N)
    ]
    assert await _send(client, calls) == [200] * N
    shown = await _shown(client, image_id)
    assert all(shown.get(f"p{i}") == "v" for i in range(N)), shown
