"""List behaviour shared by every resource: filters, fields, sorting, paging, tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.functional.network.conftest import Neutron, error_of


async def _names(api: Neutron, plural: str, params: Any, token: str = "alice") -> list[str]:
    resp = await api.call("GET", f"/v2.0/{plural}", token=token, params=params)
    assert resp.status_code == 200, resp.text
    return [item["name"] for item in resp.json()[plural]]


async def test_filters_repeated_keys_match_any_and_keys_combine(api: Neutron) -> None:
    for name, up in (("a", True), ("b", False), ("c", True)):
        await api.network(token="alice", name=name, admin_state_up=up)
    assert sorted(await _names(api, "networks", [("name", "a"), ("name", "b")])) == ["a", "b"]
    both = [("name", "a"), ("name", "b"), ("admin_state_up", "True")]
    assert await _names(api, "networks", both) == ["a"]
    bad = await api.call("GET", "/v2.0/networks", token="alice", params={"admin_state_up": "x"})
    assert error_of(bad)[:2] == (400, "InvalidInput")


async def test_an_unknown_filter_is_400(api: Neutron) -> None:
    resp = await api.call("GET", "/v2.0/ports", token="alice", params={"colour": "red"})
    assert error_of(resp) == (
        400,
        "HTTPBadRequest",
        "['colour'] is invalid attribute for filtering",
    )


async def test_empty_string_filters_match_empty_values(api: Neutron) -> None:
    await api.network(token="alice", name="")
    await api.network(token="alice", name="named")
    assert await _names(api, "networks", {"name": ""}) == [""]


async def test_fields_selects_attributes(api: Neutron) -> None:
    await api.network(token="alice", name="x")
    resp = await api.call(
        "GET", "/v2.0/networks", token="alice", params=[("fields", "id"), ("fields", "name")]
    )
    [item] = resp.json()["networks"]
    assert set(item) == {"id", "name"}


async def test_sorting_by_several_keys(api: Neutron) -> None:
    for name, up in (("b", True), ("a", False), ("c", False), ("a", True)):
        await api.network(token="alice", name=name, admin_state_up=up)
    params = [("sort_key", "name"), ("sort_dir", "desc"), ("sort_key", "admin_state_up"),
              ("sort_dir", "asc")]  # fmt: skip
    resp = await api.call("GET", "/v2.0/networks", token="alice", params=params)
    found = [(n["name"], n["admin_state_up"]) for n in resp.json()["networks"]]
    assert found == [("c", False), ("b", True), ("a", False), ("a", True)]
    bad = await api.call(
        "GET", "/v2.0/networks", token="alice", params={"sort_key": "colour", "sort_dir": "asc"}
    )
    assert error_of(bad) == (
        400, "HTTPBadRequest", "['colour'] is invalid attribute for sort_keys"
    )  # fmt: skip


async def test_paging_with_links_covers_every_item_once(api: Neutron) -> None:
    names = [f"n{i:02d}" for i in range(7)]
    for name in names:
        await api.network(token="alice", name=name)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3, "sort_key": "name", "sort_dir": "asc"}
    for _ in range(5):
        resp = (await api.call("GET", "/v2.0/networks", token="alice", params=params)).json()
        seen += [n["name"] for n in resp["networks"]]
        nexts = [link for link in resp.get("networks_links", []) if link["rel"] == "next"]
        if not nexts:
            break
        query = parse_qs(urlsplit(nexts[0]["href"]).query)
        params = {k: v[0] for k, v in query.items()}
    assert seen == names
    first = await api.call("GET", "/v2.0/networks", token="alice", params={"limit": 3})
    rels = [link["rel"] for link in first.json()["networks_links"]]
    assert rels == ["next", "previous"]
    marker = first.json()["networks"][-1]["id"]
    back = await api.call(
        "GET",
        "/v2.0/networks",
        token="alice",
        params={"limit": 2, "marker": marker, "page_reverse": "True"},
    )
    expected = [n["id"] for n in first.json()["networks"][:2]]
    assert [n["id"] for n in back.json()["networks"]] == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "-1"}, "Bad limit request: Limit must be an integer 0 or greater and not '-1'."),
        ({"limit": "ten"}, "Limit must be an integer 0 or greater and not 'ten'"),
        ({"sort_key": "name", "sort_dir": "sideways"}, "is invalid value for sort_dirs"),
        ({"sort_key": "name"}, "The number of sort_keys and sort_dirs must be same"),
    ],
)
async def test_bad_paging_is_400(api: Neutron, params: dict[str, str], message: str) -> None:
    resp = await api.call("GET", "/v2.0/ports", token="alice", params=params)
    status, _, text = error_of(resp)
    assert status == 400 and message in text


async def test_an_unknown_marker_is_the_resource_s_404(api: Neutron) -> None:
    resp = await api.call(
        "GET", "/v2.0/networks", token="alice", params={"limit": 2, "marker": "nope"}
    )
    assert error_of(resp) == (404, "NetworkNotFound", "Network nope could not be found.")


async def test_ports_filter_by_fixed_ips_and_address_substring(api: Neutron) -> None:
    net = await api.network(token="alice")
    sub = await api.subnet(net, "10.0.0.0/24", token="alice")
    for address in ("10.0.0.15", "10.0.0.150", "10.0.0.51"):
        await api.port(net, token="alice", name=address, fixed_ips=[{"ip_address": address}])
    assert await _names(api, "ports", {"fixed_ips": "ip_address=10.0.0.15"}) == ["10.0.0.15"]
    found = await _names(api, "ports", {"fixed_ips": "ip_address_substr=.15"})
    assert sorted(found) == ["10.0.0.15", "10.0.0.150"]
    by_subnet = await _names(api, "ports", {"fixed_ips": f"subnet_id={sub['id']}"})
    assert len(by_subnet) == 3


async def test_tags_filters_and_tag_api(api: Neutron) -> None:
    nets = {name: await api.network(token="alice", name=name) for name in ("x", "y", "z")}
    path = f"/v2.0/networks/{nets['x']['id']}/tags"
    put = await api.call("PUT", path, {"tags": ["red", "blue"]}, token="alice")
    assert put.json() == {"tags": ["blue", "red"]}
    assert (
        await api.call("PUT", f"/v2.0/networks/{nets['y']['id']}/tags/red", token="alice")
    ).status_code == 201
    assert (await api.call("GET", f"{path}/red", token="alice")).status_code == 204
    assert error_of(await api.call("GET", f"{path}/green", token="alice"))[:2] == (
        404,
        "TagNotFound",
    )
    assert sorted(await _names(api, "networks", {"tags": "red"})) == ["x", "y"]
    assert await _names(api, "networks", {"tags": "red,blue"}) == ["x"]
    assert sorted(await _names(api, "networks", {"tags-any": "blue,red"})) == ["x", "y"]
    assert sorted(await _names(api, "networks", {"not-tags": "red"})) == ["z"]
    assert sorted(await _names(api, "networks", {"not-tags-any": "blue"})) == ["y", "z"]
    shown = (await api.call("GET", f"/v2.0/networks/{nets['x']['id']}", token="alice")).json()
    assert shown["network"]["tags"] == ["blue", "red"]
    assert shown["network"]["revision_number"] == nets["x"]["revision_number"] + 1
    assert (await api.call("DELETE", f"{path}/red", token="alice")).status_code == 204
    assert (await api.call("DELETE", path, token="alice")).status_code == 204
    assert (await api.call("GET", path, token="alice")).json() == {"tags": []}
    other = await api.call("PUT", path, {"tags": ["mine"]}, token="bob")
    assert error_of(other)[:2] == (404, "NetworkNotFound")
    tagged = await api.create("network", "alice", name="t", tags=["at-birth"])
    assert tagged["tags"] == ["at-birth"]
