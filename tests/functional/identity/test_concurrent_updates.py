"""Concurrent changes of one identity record all land (the SQLite and PostgreSQL clouds)."""

from __future__ import annotations

import asyncio

import httpx

from tests.functional.identity.conftest import Api, unique
from tests.support.cloud import RunningCloud

N = 20


async def _send(cloud: RunningCloud, calls: list[tuple[str, str, object]]) -> list[int]:
    headers = {"X-Auth-Token": cloud.admin_token()}
    async with httpx.AsyncClient(base_url=cloud.auth_url, headers=headers, timeout=60) as client:
        sent = [client.request(method, path, json=body) for method, path, body in calls]
        return [resp.status_code for resp in await asyncio.gather(*sent)]


async def test_project_tags_added_at_once_all_stay(cloud: RunningCloud, api: Api) -> None:
    project = api.create("project", name=unique("tags"))
    path = f"/projects/{project['id']}/tags"
    codes = await _send(cloud, [("PUT", f"{path}/t{i}", None) for i in range(N)])
    assert codes == [201] * N
    assert sorted(api.get(path).json()["tags"]) == sorted(f"t{i}" for i in range(N))


async def test_user_attributes_set_at_once_all_stay(cloud: RunningCloud, api: Api) -> None:
    user = api.create("user", name=unique("attrs"))
    path = f"/users/{user['id']}"
    codes = await _send(cloud, [("PATCH", path, {"user": {f"x{i}": "v"}}) for i in range(N)])
    assert codes == [200] * N
    shown = api.get(path).json()["user"]
    assert {f"x{i}" for i in range(N)} <= set(shown)


async def test_project_attributes_set_at_once_all_stay(cloud: RunningCloud, api: Api) -> None:
    project = api.create("project", name=unique("attrs"))
    path = f"/projects/{project['id']}"
    codes = await _send(cloud, [("PATCH", path, {"project": {f"x{i}": "v"}}) for i in range(N)])
    assert codes == [200] * N
    shown = api.get(path).json()["project"]
    assert {f"x{i}" for i in range(N)} <= set(shown)
