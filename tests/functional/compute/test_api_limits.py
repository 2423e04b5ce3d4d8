"""Numbers a client chooses are bounded: counts, limits, lengths, sizes and references.

Each request here is also timed by the loop watch (tests/functional/conftest.py): the
largest value each bound accepts must be answered without holding the event loop.
"""

from __future__ import annotations

from typing import Any

import httpx

from nimbostack.compute.messages import BuildInstances
from tests.functional.compute.api_support import GUEST, Compute, api, fault

__all__ = ["api"]

MAX_INT = 2**31 - 1
BASE = {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": "none"}


async def create(api: Compute, **server: Any) -> httpx.Response:
    return await api.call("POST", "/servers", {"server": {**BASE, **server}})


async def raw_post(api: Compute, path: str, text: str, token: str = "alice") -> httpx.Response:
    """POST a body as written (JSON extensions such as NaN included)."""
    headers = {"X-Auth-Token": token, "Content-Type": "application/json"}
    headers["OpenStack-API-Version"] = "compute 2.96"
    return await api.client.post(f"/v2.1{path}", content=text, headers=headers)


async def listed(api: Compute) -> int:
    return len((await api.call("GET", "/servers")).json()["servers"])


async def test_largest_max_count_creates_what_the_quota_allows(api: Compute) -> None:
    resp = await create(api, max_count=MAX_INT)
    assert resp.status_code == 202, resp.text
    msg = api.state.rpc.last()
    assert isinstance(msg, BuildInstances) and len(msg.instance_uuids) == 10
    assert await listed(api) == 10


async def test_max_count_fits_what_is_left_of_each_resource(api: Compute) -> None:
    await api.call("PUT", "/os-quota-sets/project-a", {"quota_set": {"cores": 7}}, token="admin")
    await api.boot()
    resp = await create(api, min_count=2, max_count=str(MAX_INT))
    assert resp.status_code == 202, resp.text
    assert await listed(api) == 7


async def test_largest_min_count_is_over_quota(api: Compute) -> None:
    resp = await create(api, min_count=MAX_INT, max_count=MAX_INT)
    assert resp.status_code == 403
    assert fault(resp)["message"].startswith(
        f"Quota exceeded for instances, cores, ram: Requested {MAX_INT}, "
    )
    assert await listed(api) == 0


async def test_counts_beyond_the_schema_are_400(api: Compute) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        # Past 64 bits the body's decoder refuses it before any schema is checked.
        ({"max_count": 2**63}, "integers must fit in 64 bits"),
        ({"max_count": MAX_INT + 1}, "Invalid input for field 'server.max_count'"),
        ({"max_count": str(MAX_INT + 1)}, "Invalid input for field 'server.max_count'"),
        ({"max_count": "9" * 5000}, "Invalid input for field 'server.max_count'"),
        ({"min_count": 0}, "Invalid input for field 'server.min_count'"),
        ({"min_count": "-1"}, "Invalid input for field 'server.min_count'"),
        ({"min_count": 1.5}, "Invalid input for field 'server.min_count'"),
        ({"min_count": 3, "max_count": 2}, "min_count must be <= max_count"),
    ]
    for server, message in cases:
        resp = await create(api, **server)
        assert resp.status_code == 400, (server, resp.text)
        assert message in fault(resp)["message"], (server, resp.text)
    assert await listed(api) == 0


async def test_without_quota_one_request_makes_at_most_its_limit(api: Compute) -> None:
    unlimited = {"instances": -1, "cores": -1, "ram": -1}
    done = await api.call(
        "PUT", "/os-quota-sets/project-a", {"quota_set": unlimited}, token="admin"
    )
    assert done.status_code == 200, done.text
    limit = int(api.state.conf.compute.max_servers_per_request)
    refused = await create(api, min_count=limit + 1, max_count=MAX_INT)
    assert refused.status_code == 400
    assert fault(refused)["message"] == (
        f"min_count {limit + 1} is more than the {limit} servers one request may create."
    )
    resp = await create(api, max_count=MAX_INT)
    assert resp.status_code == 202, resp.text
    msg = api.state.rpc.last()
    assert isinstance(msg, BuildInstances) and len(msg.instance_uuids) == limit


async def test_image_refs_that_are_not_ids_are_400(api: Compute) -> None:
    for ref in ("a b", "../../v2/images", f"{GUEST}?x=1", "é"):
        resp = await create(api, imageRef=ref)
        assert resp.status_code == 400, (ref, resp.text)
        assert fault(resp)["message"].startswith("Invalid imageRef provided"), resp.text
    # A NUL anywhere in a body is refused by the decoder, before any field is read.
    for ref in (f"{GUEST}\x00", "\x00"):
        resp = await create(api, imageRef=ref)
        assert resp.status_code == 400, (ref, resp.text)
        assert "NUL" in fault(resp)["message"], resp.text
    uuid = await api.active()
    rebuild = {"rebuild": {"imageRef": "x/y"}}
    resp = await api.call("POST", f"/servers/{uuid}/action", rebuild)
    assert resp.status_code == 400, resp.text
    assert fault(resp)["message"].startswith("Invalid imageRef provided"), resp.text


async def test_image_ids_in_paths_reach_the_image_service_quoted(api: Compute) -> None:
    for path in ("/images/a%0Ab", "/images/a%3Fb%2Fc"):
        resp = await api.call("GET", path, version="2.35")
        assert resp.status_code == 404, resp.text
        resp = await api.call("DELETE", path, token="admin", version="2.35")
        assert resp.status_code == 404, resp.text
    # A NUL in a path is refused by the framework before the handler runs.
    resp = await api.call("GET", "/images/a%00b", version="2.35")
    assert resp.status_code == 400, resp.text


async def test_flavor_rxtx_factor_must_be_a_positive_finite_number(api: Compute) -> None:
    flavor = {"name": "f", "ram": 64, "vcpus": 1, "disk": 0}
    for ratio in ("abc", "1e5", "0", 0, -1, 1e39, "9" * 65, "1" * 60):
        body = {"flavor": {**flavor, "rxtx_factor": ratio}}
        resp = await api.call("POST", "/flavors", body, token="admin")
        assert resp.status_code == 400, (ratio, resp.text)
        assert "rxtx_factor" in fault(resp)["message"], resp.text
    for text in ("NaN", "Infinity", "1e400"):
        # Not JSON numbers at all (1e400 is no finite double): the decoder refuses them.
        body = '{"flavor": {"name": "f", "ram": 64, "vcpus": 1, "disk": 0, "rxtx_factor": '
        resp = await raw_post(api, "/flavors", body + text + "}}", token="admin")
        assert resp.status_code == 400, (text, resp.text)
    good = {"flavor": {**flavor, "name": "g", "rxtx_factor": "2.5"}}
    resp = await api.call("POST", "/flavors", good, token="admin")
    assert resp.status_code == 200, resp.text
    assert resp.json()["flavor"]["rxtx_factor"] == 2.5


async def test_flavor_sizes_are_bounded(api: Compute) -> None:
    flavor = {"name": "f", "ram": 64, "vcpus": 1, "disk": 0}
    for name in ("ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap"):
        for value in (MAX_INT + 1, str(MAX_INT + 1), "9" * 5000, 2**64):
            body = {"flavor": {**flavor, name: value}}
            resp = await api.call("POST", "/flavors", body, token="admin")
            assert resp.status_code == 400, (name, value, resp.text)


async def test_console_output_length_is_bounded(api: Compute) -> None:
    uuid = await api.active()
    api.state.rpc.answers["GetConsoleOutput"] = "line\n"
    path = f"/servers/{uuid}/action"
    for length in ("9" * 5000, "abc", -2, 1.5, True):
        resp = await api.call("POST", path, {"os-getConsoleOutput": {"length": length}})
        assert resp.status_code == 400, (length, resp.text)
        assert "length" in fault(resp)["message"], resp.text
    resp = await api.call("POST", path, {"os-getConsoleOutput": {"length": 2**70}})
    assert resp.status_code == 400, resp.text  # past 64 bits: refused by the decoder
    for text in ("Infinity", "NaN", "1e400"):
        resp = await raw_post(api, path, '{"os-getConsoleOutput": {"length": ' + text + "}}")
        assert resp.status_code == 400, (text, resp.text)
    for length in (MAX_INT, str(MAX_INT), -1, None):
        resp = await api.call("POST", path, {"os-getConsoleOutput": {"length": length}})
        assert resp.status_code == 200, (length, resp.text)


async def test_limit_query_parameters_are_cut_or_refused(api: Compute) -> None:
    uuid = await api.active()
    await api.call("POST", "/os-keypairs", {"keypair": {"name": "k"}})
    lists = [
        ("/servers", "alice", "servers"),
        ("/servers/detail", "alice", "servers"),
        ("/os-keypairs", "alice", "keypairs"),
        ("/flavors", "alice", "flavors"),
        ("/os-server-groups", "alice", "server_groups"),
        ("/os-migrations", "admin", "migrations"),
        (f"/servers/{uuid}/os-instance-actions", "alice", "instanceActions"),
    ]
    for path, token, key in lists:
        for limit in ("9" * 30, "9" * 5000, str(2**63)):
            resp = await api.call("GET", path, token=token, params={"limit": limit})
            assert resp.status_code == 200, (path, limit[:20], resp.text)
            assert key in resp.json()
        for limit in ("²", "-1", "abc"):
            resp = await api.call("GET", path, token=token, params={"limit": limit})
            assert resp.status_code == 400, (path, limit, resp.text)
    for param in ("minRam", "minDisk"):
        resp = await api.call("GET", "/flavors", params={param: "9" * 30})
        assert resp.status_code == 400, resp.text


async def test_json_bodies_are_bounded(api: Compute) -> None:
    tags = ["t"] * 60_000
    resp = await create(api, tags=tags)
    assert resp.status_code == 413, resp.text
    many = [f"t{n}" for n in range(3_000)]
    resp = await create(api, tags=many)
    assert resp.status_code == 400, resp.text
    assert "tags" in fault(resp)["message"]


async def test_name_filters_run_in_linear_time(api: Compute) -> None:
    slow = await api.boot(name="a" * 26 + "!")
    fast = await api.boot(name="aaa")
    for pattern in ("(a+)+$", "^(a|aa)+$"):
        found = (await api.call("GET", "/servers", params={"name": pattern})).json()
        assert [s["id"] for s in found["servers"]] == [fast], pattern
    both = (await api.call("GET", "/servers", params={"name": "^a"})).json()["servers"]
    assert {s["id"] for s in both} == {slow, fast}
    literal = (await api.call("GET", "/servers", params={"name": "(?<=a)!"})).json()
    assert literal["servers"] == []


async def test_quota_limits_are_bounded(api: Compute) -> None:
    paths = [
        ("/os-quota-sets/project-a", "quota_set"),
        ("/os-quota-class-sets/default", "quota_class_set"),
    ]
    for path, key in paths:
        for value in (MAX_INT + 1, str(MAX_INT + 1), "9" * 5000, -2, "-2", 2**64):
            body = {key: {"instances": value}}
            resp = await api.call("PUT", path, body, token="admin", version="2.49")
            assert resp.status_code == 400, (path, str(value)[:20], resp.text)
        body = {key: {"instances": str(MAX_INT)}}
        resp = await api.call("PUT", path, body, token="admin", version="2.49")
        assert resp.status_code == 200, resp.text
        assert resp.json()[key]["instances"] == MAX_INT


async def test_server_group_rules_are_bounded(api: Compute) -> None:
    for value in (MAX_INT + 1, "9" * 5000, 0):
        group = {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": value}}
        resp = await api.call("POST", "/os-server-groups", {"server_group": group})
        assert resp.status_code == 400, (str(value)[:20], resp.text)
    group = {"name": "g", "policy": "anti-affinity", "rules": {"max_server_per_host": MAX_INT}}
    resp = await api.call("POST", "/os-server-groups", {"server_group": group})
    assert resp.status_code == 200, resp.text
