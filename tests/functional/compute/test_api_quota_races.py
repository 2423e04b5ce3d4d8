"""Quota checks hold under concurrent requests: 20 at once with room for 5 make 5.

Run on SQLite and on PostgreSQL, where READ COMMITTED lets concurrent checks count
the same usage unless they take turns (the project's quota lock row).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from nimbostack.compute.db.models import Instance, KeyPair, ServerGroup
from tests.functional.compute.api_support import GUEST, Compute, any_db_api

__all__ = ["any_db_api"]
N, ROOM = 20, 5


async def _codes(calls: list[Any]) -> list[int]:
    return sorted(resp.status_code for resp in await asyncio.gather(*calls))


async def _count(api: Compute, model: Any, *where: Any) -> int:
    async with api.state.db.reader() as s:
        found = await s.scalar(select(func.count()).select_from(model).where(*where))
    return int(found or 0)


async def test_servers_created_at_once_stop_at_the_instance_quota(any_db_api: Compute) -> None:
    api = any_db_api
    api.state.conf.override("compute", quota_instances=ROOM)
    body = {"server": {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": "none"}}
    codes = await _codes([api.call("POST", "/servers", body) for _ in range(N)])
    assert codes == [202] * ROOM + [403] * (N - ROOM)
    assert await _count(api, Instance, Instance.project_id == "project-a") == ROOM


async def test_multiple_create_at_once_stays_within_the_core_quota(any_db_api: Compute) -> None:
    api = any_db_api
    api.state.conf.override("compute", quota_cores=ROOM)
    body = {"server": {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": "none",
                       "min_count": 1, "max_count": 3}}  # fmt: skip
    await _codes([api.call("POST", "/servers", body) for _ in range(N)])
    assert await _count(api, Instance, Instance.project_id == "project-a") == ROOM


async def test_server_groups_created_at_once_stop_at_their_quota(any_db_api: Compute) -> None:
    api = any_db_api
    api.state.conf.override("compute", quota_server_groups=ROOM)
    body = {"server_group": {"name": "g", "policy": "affinity"}}
    codes = await _codes([api.call("POST", "/os-server-groups", body) for _ in range(N)])
    assert codes == [200] * ROOM + [403] * (N - ROOM)
    assert await _count(api, ServerGroup, ServerGroup.project_id == "project-a") == ROOM


async def test_key_pairs_created_at_once_stop_at_their_quota(any_db_api: Compute) -> None:
    api = any_db_api
    api.state.conf.override("compute", quota_key_pairs=ROOM)
    codes = await _codes(
        [
            api.call("POST", "/os-keypairs", {"keypair": {"name": f"k{i}"}}, version="2.91")
            for i in range(N)
        ]
    )
    assert codes == [201] * ROOM + [403] * (N - ROOM)
    assert await _count(api, KeyPair, KeyPair.user_id == "alice-id") == ROOM
