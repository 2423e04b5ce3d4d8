"""Concurrent changes of one resource's tags, addresses and quotas: none lost, none a 500.

Each test fires its requests at once through the real app, on SQLite and PostgreSQL;
on PostgreSQL they run in parallel transactions, so only the row locks keep them apart.
"""

from __future__ import annotations

import asyncio

from tests.functional.network.conftest import PROJECTS, Neutron

N = 12


async def _warm(api: Neutron) -> None:
    """Open the connection pool first, so the requests under test start together."""
    await asyncio.gather(*(api.call("GET", "/v2.0/networks") for _ in range(N)))


async def test_concurrent_tag_additions_all_land(any_api: Neutron) -> None:
    net = await any_api.network(token="alice")
    path = f"/v2.0/networks/{net['id']}/tags"
    await _warm(any_api)
    bodies = [{"tags": [f"t{i}", "common"]} for i in range(N)]
    replies = await asyncio.gather(
        *(any_api.call("POST", path, body, token="alice") for body in bodies)
    )
    assert [r.status_code for r in replies] == [201] * N, replies[0].text
    shown = (await any_api.call("GET", path, token="alice")).json()["tags"]
    assert sorted(shown) == sorted(["common", *(f"t{i}" for i in range(N))])


async def test_the_same_tag_put_at_once_is_stored_once(any_api: Neutron) -> None:
    net = await any_api.network(token="alice")
    path = f"/v2.0/networks/{net['id']}/tags"
    await _warm(any_api)
    replies = await asyncio.gather(
        *(any_api.call("PUT", f"{path}/same", token="alice") for _ in range(N))
    )
    assert [r.status_code for r in replies] == [201] * N, replies[0].text
    assert (await any_api.call("GET", path, token="alice")).json()["tags"] == ["same"]


async def test_concurrent_address_additions_all_land(any_api: Neutron) -> None:
    group = await any_api.create("address_group", "alice", name="ag", addresses=[])
    path = f"/v2.0/address-groups/{group['id']}/add_addresses"
    await _warm(any_api)
    bodies = [{"addresses": [f"10.{i}.0.0/16", "192.0.2.0/24"]} for i in range(N)]
    replies = await asyncio.gather(
        *(any_api.call("PUT", path, body, token="alice") for body in bodies)
    )
    assert [r.status_code for r in replies] == [200] * N, replies[0].text
    shown = await any_api.call("GET", f"/v2.0/address-groups/{group['id']}", token="alice")
    expected = {"192.0.2.0/24", *(f"10.{i}.0.0/16" for i in range(N))}
    assert set(shown.json()["address_group"]["addresses"]) == expected


async def test_concurrent_quota_updates_of_one_project(any_api: Neutron) -> None:
    path = f"/v2.0/quotas/{PROJECTS['alice']}"
    await _warm(any_api)
    limits = [100 + i for i in range(N)]
    replies = await asyncio.gather(
        *(any_api.call("PUT", path, {"quota": {"network": n, "port": n}}) for n in limits)
    )
    assert [r.status_code for r in replies] == [200] * N, replies[0].text
    quota = (await any_api.call("GET", path)).json()["quota"]
    assert quota["network"] == quota["port"] and quota["network"] in limits
