"""Concurrent changes of one identity record all land (the SQLite and PostgreSQL clouds)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.functional.identity.conftest import unique
from tests.support.cloud import CLIENT_TLS, CloudAccess

N = 20


@pytest.fixture
async def client(cloud: CloudAccess) -> AsyncIterator[httpx.AsyncClient]:
    # Made in set-up: the token is fetched by a blocking call, which a test may not make.
    headers = {"X-Auth-Token": cloud.admin_token()}
    base = cloud.auth_url
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=60, verify=CLIENT_TLS
    ) as client:
        yield client


async def _send(client: httpx.AsyncClient, calls: list[tuple[str, str, object]]) -> list[int]:
    sent = [client.request(method, path, json=body) for method, path, body in calls]
    return [resp.status_code for resp in await asyncio.gather(*sent)]


async def _create(client: httpx.AsyncClient, kind: str, name: str) -> dict[str, Any]:
    # Over the async client: a blocking call here would hold this test's loop.
    resp = await client.post(f"/{kind}s", json={kind: {"name": name}})
    assert resp.status_code == 201, resp.text
    entity: dict[str, Any] = resp.json()[kind]
    return entity


async def test_project_tags_added_at_once_all_stay(client: httpx.AsyncClient) -> None:
    project = await _create(client, "project", unique("tags"))
    path = f"/projects/{project['id']}/tags"
    codes = await _send(client, [("PUT", f"{path}/t{i}", None) for i in range(N)])
    assert codes == [201] * N
    tags = (await client.get(path)).json()["tags"]
    assert sorted(tags) == sorted(f"t{i}" for i in range(N))


async def test_user_attributes_set_at_once_all_stay(client: httpx.AsyncClient) -> None:
    user = await _create(client, "user", unique("attrs"))
    path = f"/users/{user['id']}"
    codes = await _send(client, [("PATCH", path, {"user": {f"x{i}": "v"}}) for i in range(N)])
    assert codes == [200] * N
    shown = (await client.get(path)).json()["user"]
    assert {f"x{i}" for i in range(N)} <= set(shown)


async def test_project_attributes_set_at_once_all_stay(client: httpx.AsyncClient) -> None:
    project = await _create(client, "project", unique("attrs"))
    path = f"/projects/{project['id']}"
    codes = await _send(client, [("PATCH", path, {"project": {f"x{i}": "v"}}) for i in range(N)])
    assert codes == [200] * N
    shown = (await client.get(path)).json()["project"]
    assert {f"x{i}" for i in range(N)} <= set(shown)
