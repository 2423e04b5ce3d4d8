"""Paging of compute listings, walked the way clients walk them, and cut in SQL.

Each walk follows the ``rel: next`` links (as openstacksdk does) from a small ``limit``
until a page comes without one, then asks once more after the last item (as novaclient
does) and must get an empty page: every item exactly once, in the unpaged order.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from nimbostack.compute.db.models import InstanceAction
from nimbostack.compute.objects import instance_queries
from tests.functional.compute.api_support import Compute, api, fault

__all__ = ["api"]

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq0p1oFXFjvxTbeYXy5n2e5Y3rRfZDP4aoP2Tcs+o9y t"
MAX_PAGES = 30  # far more than any walk here needs: a pager that never ends fails


async def _walk(
    api: Compute, path: str, key: str, links: str, ident: str, *, params: dict[str, Any]
) -> list[str]:
    seen: list[str] = []
    query: Any = params
    for _ in range(MAX_PAGES):
        resp = await api.call("GET", path, params=query)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert len(body[key]) <= int(params["limit"])
        seen += [_id(item, ident) for item in body[key]]
        if links not in body:
            break
        (link,) = body[links]
        assert link["rel"] == "next"
        href = httpx.URL(link["href"])
        assert href.path == f"/v2.1{path}"
        query = href.params
    else:
        pytest.fail(f"{path} never stopped paging: {seen}")
    after_last = await api.call("GET", path, params={**params, "marker": seen[-1]})
    assert after_last.status_code == 200 and after_last.json()[key] == []
    return seen


async def _unpaged(api: Compute, path: str, key: str, ident: str, params: dict[str, Any]) -> Any:
    resp = await api.call("GET", path, params=params)
    assert resp.status_code == 200 and not any(k.endswith("links") for k in resp.json())
    return [_id(item, ident) for item in resp.json()[key]]


def _id(item: dict[str, Any], ident: str) -> str:
    return str(item.get("keypair", item)[ident])  # key pairs come wrapped one by one


async def _keypairs(api: Compute, count: int) -> None:
    for index in range(count):
        body = {"keypair": {"name": f"key-{index:02d}", "public_key": ED25519}}
        assert (await api.call("POST", "/os-keypairs", body)).status_code == 201


async def _flavors(api: Compute, count: int) -> None:
    for index in range(count):
        # Equal memory on pairs, so sorting by it needs the id to break ties.
        body = {"flavor": {"name": f"pg-{index}", "ram": 128 * (index // 2 + 1), "vcpus": 1,
                           "disk": 1, "id": f"pg-{index:02d}"}}  # fmt: skip
        assert (await api.call("POST", "/flavors", body, token="admin")).status_code == 200


async def _actions(api: Compute, server: str, count: int) -> None:
    now = time.time()
    async with api.state.db.session() as s:
        for index in range(count):
            # Pairs share a start time, so the order needs its tie-breaker.
            s.add(InstanceAction(instance_uuid=server, action="reboot", project_id="project-a",
                                 request_id=f"req-{uuid.uuid4()}", start_time=now + index // 2,
                                 user_id="alice-id"))  # fmt: skip


async def test_keypairs_pages_by_name(api: Compute) -> None:
    await _keypairs(api, 7)
    seen = await _walk(
        api, "/os-keypairs", "keypairs", "keypairs_links", "name", params={"limit": 3}
    )
    names = await _unpaged(api, "/os-keypairs", "keypairs", "name", {})
    assert seen == names == [f"key-{i:02d}" for i in range(7)]


@pytest.mark.parametrize("sort", [{}, {"sort_key": "memory_mb", "sort_dir": "desc"}], ids=str)
async def test_flavors_pages_follow_their_sort(api: Compute, sort: dict[str, str]) -> None:
    await _flavors(api, 7)
    for path in ("/flavors", "/flavors/detail"):
        seen = await _walk(api, path, "flavors", "flavors_links", "id", params={"limit": 2, **sort})
        assert seen == await _unpaged(api, path, "flavors", "id", sort)
        assert len(seen) == len(set(seen)) >= 7


@pytest.mark.parametrize(
    "params",
    [{}, {"sort_key": "display_name", "sort_dir": "asc"}, {"name": "^keep"}],
    ids=["created_at", "display_name", "python-filter"],
)
async def test_servers_pages_cover_each_server_once(
    api: Compute, params: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small batches, so that a page the name filter thins out is read in several.
    monkeypatch.setattr(instance_queries, "_ROWS_PER_TURN", 2)
    for index in range(9):
        await api.boot(name=f"{'keep' if index % 3 else 'drop'}-{index % 4}")
    for path in ("/servers", "/servers/detail"):
        seen = await _walk(
            api, path, "servers", "servers_links", "id", params={"limit": 2, **params}
        )
        assert seen == await _unpaged(api, path, "servers", "id", params)
        assert len(seen) == len(set(seen)) == (6 if "name" in params else 9)


async def test_servers_paging_keeps_changes_since(api: Compute) -> None:
    made = [await api.boot(name=f"s{i}") for i in range(5)]
    gone = await api.call("DELETE", f"/servers/{made[1]}")
    assert gone.status_code == 204
    params = {"limit": 2, "changes-since": "2000-01-01T00:00:00Z"}
    seen = await _walk(api, "/servers", "servers", "servers_links", "id", params=params)
    # changes-since lists deleted servers too, and every next link keeps the filter.
    assert sorted(seen) == sorted(made)
    assert sorted(await _unpaged(api, "/servers", "servers", "id", {})) == sorted(
        set(made) - {made[1]}
    )


async def test_instance_actions_page_by_request_id(api: Compute) -> None:
    server = await api.boot()
    await _actions(api, server, 8)
    path = f"/servers/{server}/os-instance-actions"
    seen = await _walk(api, path, "instanceActions", "links", "request_id", params={"limit": 3})
    assert seen == await _unpaged(api, path, "instanceActions", "request_id", {})
    assert len(seen) == len(set(seen)) == 9  # the create, and the eight added


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/servers", "marker [{m}] not found"),
        ("/servers/detail", "marker [{m}] not found"),
        ("/flavors", "marker [{m}] not found"),
        ("/flavors/detail", "marker [{m}] not found"),
        ("/os-keypairs", "Marker {m} could not be found."),
        ("/servers/{s}/os-instance-actions", "Marker {m} could not be found."),
    ],
)
async def test_unknown_marker_is_a_400(api: Compute, path: str, message: str) -> None:
    server = await api.boot()
    marker = "no-such-item"
    resp = await api.call("GET", path.format(s=server), params={"marker": marker})
    assert resp.status_code == 400
    assert fault(resp)["message"] == message.format(m=marker)


@pytest.mark.parametrize(
    "path",
    ["/servers", "/servers/detail", "/flavors", "/os-keypairs", "/servers/{s}/os-instance-actions"],
)
@pytest.mark.parametrize("limit", ["-1", "x", "1.5"])
async def test_bad_limit_is_a_400(api: Compute, path: str, limit: str) -> None:
    server = await api.boot()
    resp = await api.call("GET", path.format(s=server), params={"limit": limit})
    assert resp.status_code == 400
    assert fault(resp)["message"] == f"Invalid input for query parameters limit. Value: {limit}."


async def test_a_marker_of_another_user_is_unknown(api: Compute) -> None:
    await _keypairs(api, 2)
    resp = await api.call("GET", "/os-keypairs", token="bob", params={"marker": "key-00"})
    assert resp.status_code == 400


@contextmanager
def _selects(api: Compute, table: str) -> Iterator[list[str]]:
    """The SELECT statements on ``table`` that the block runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append(" ".join(statement.split()))

    engines = {api.state.db.engine.sync_engine, api.state.db.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("path", "table"),
    [
        ("/servers", "instances"),
        ("/servers/detail", "instances"),
        ("/flavors", "flavors"),
        ("/os-keypairs", "key_pairs"),
        ("/servers/{s}/os-instance-actions", "instance_actions"),
    ],
)
async def test_the_page_is_cut_in_sql(api: Compute, path: str, table: str) -> None:
    server = await api.boot()
    for _ in range(3):
        await api.boot()
    await _keypairs(api, 4)
    await _actions(api, server, 4)
    first = (await api.call("GET", path.format(s=server), params={"limit": 2})).json()
    marker = next(v for k, v in first.items() if k.endswith("links"))[0]["href"].split("marker=")[1]
    with _selects(api, table) as selects:
        resp = await api.call("GET", path.format(s=server), params={"limit": 2, "marker": marker})
    assert resp.status_code == 200
    assert selects, f"no SELECT on {table}"
    # Every read of the table is bounded: the marker's own row, and the page after it.
    assert all(" LIMIT " in stmt for stmt in selects), selects
