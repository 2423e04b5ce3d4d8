"""Concurrent writes to one record all land, on SQLite and on PostgreSQL.

Each test sends 20 requests at once that change one aggregate, server, flavor or
group (JSON columns rewritten whole), and checks that every change survived.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from nimbostack.compute.db.models import Aggregate, Flavor, Instance, ServerGroup, Service
from tests.functional.compute.api_support import GUEST, Compute, any_db_api

__all__ = ["any_db_api"]
N = 20


async def _all(calls: list[Any]) -> list[int]:
    return [resp.status_code for resp in await asyncio.gather(*calls)]


async def _row(api: Compute, model: Any, key: Any) -> Any:
    async with api.state.db.reader() as s:
        found = await s.get(model, key)
    assert found is not None
    return found


async def test_aggregate_hosts_added_at_once_all_stay(any_db_api: Compute) -> None:
    api = any_db_api
    async with api.state.db.session() as s:
        for i in range(N):
            s.add(Service(uuid=str(uuid.uuid4()), id=i + 1, host=f"h{i}", binary="nova-compute",
                          topic="compute.agent", created_at=time.time()))  # fmt: skip
    made = await api.call("POST", "/os-aggregates", {"aggregate": {"name": "a"}}, token="admin")
    agg_id = made.json()["aggregate"]["id"]
    path = f"/os-aggregates/{agg_id}/action"
    codes = await _all(
        [api.call("POST", path, {"add_host": {"host": f"h{i}"}}, token="admin") for i in range(N)]
    )
    assert codes == [200] * N
    assert sorted((await _row(api, Aggregate, agg_id)).hosts) == sorted(f"h{i}" for i in range(N))


async def test_aggregate_metadata_set_at_once_all_stays(any_db_api: Compute) -> None:
    api = any_db_api
    made = await api.call("POST", "/os-aggregates", {"aggregate": {"name": "a"}}, token="admin")
    agg_id = made.json()["aggregate"]["id"]
    path = f"/os-aggregates/{agg_id}/action"
    codes = await _all(
        [
            api.call("POST", path, {"set_metadata": {"metadata": {f"k{i}": "v"}}}, token="admin")
            for i in range(N)
        ]
    )
    assert codes == [200] * N
    assert (await _row(api, Aggregate, agg_id)).metadata_ == {f"k{i}": "v" for i in range(N)}


async def test_server_metadata_items_set_at_once_all_stay(any_db_api: Compute) -> None:
    api = any_db_api
    server = await api.active()
    codes = await _all(
        [
            api.call("PUT", f"/servers/{server}/metadata/k{i}", {"meta": {f"k{i}": "v"}})
            for i in range(N)
        ]
    )
    assert codes == [200] * N
    assert (await _row(api, Instance, server)).metadata_ == {f"k{i}": "v" for i in range(N)}


async def test_server_tags_added_at_once_all_stay(any_db_api: Compute) -> None:
    api = any_db_api
    server = await api.active()
    codes = await _all([api.call("PUT", f"/servers/{server}/tags/t{i}") for i in range(N)])
    assert codes == [201] * N
    assert sorted((await _row(api, Instance, server)).tags) == sorted(f"t{i}" for i in range(N))


async def test_flavor_extra_specs_set_at_once_all_stay(any_db_api: Compute) -> None:
    api = any_db_api
    path = "/flavors/42/os-extra_specs"
    codes = await _all(
        [api.call("POST", path, {"extra_specs": {f"k{i}": "v"}}, token="admin") for i in range(N)]
    )
    assert codes == [200] * N
    assert (await _row(api, Flavor, "42")).extra_specs == {f"k{i}": "v" for i in range(N)}


async def test_servers_created_at_once_all_join_their_group(any_db_api: Compute) -> None:
    api = any_db_api
    api.state.conf.override(
        "compute", quota_instances=-1, quota_cores=-1, quota_ram=-1, quota_server_group_members=-1
    )
    wanted = {"server_group": {"name": "g", "policy": "affinity"}}
    made = await api.call("POST", "/os-server-groups", wanted)
    group = made.json()["server_group"]["id"]
    body = {"server": {"name": "vm", "imageRef": GUEST, "flavorRef": "42",
                       "networks": "none"}, "os:scheduler_hints": {"group": group}}  # fmt: skip
    codes = await _all([api.call("POST", "/servers", body) for _ in range(N)])
    assert codes == [202] * N
    assert len(set((await _row(api, ServerGroup, group)).members)) == N
