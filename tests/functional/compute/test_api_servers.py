"""Servers over HTTP: create, show, list, update, delete, and their bad inputs."""

from __future__ import annotations

from typing import Any

from nimbostack.compute.messages import BuildInstances, TerminateInstance
from tests.functional.compute.api_support import GUEST, Compute, api, fault

__all__ = ["api"]


async def test_create_records_building_and_casts_build(api: Compute) -> None:
    resp = await api.call(
        "POST",
        "/servers",
        {"server": {"name": "vm1", "imageRef": GUEST, "flavorRef": "42", "networks": "none"}},
    )
    assert resp.status_code == 202, resp.text
    server = resp.json()["server"]
    assert server["adminPass"] and server["OS-DCF:diskConfig"] == "MANUAL"
    msg = api.state.rpc.last()
    assert isinstance(msg, BuildInstances) and msg.instance_uuids == [server["id"]]
    assert msg.request_spec["flavor"]["memory_mb"] == 128
    shown = (await api.call("GET", f"/servers/{server['id']}")).json()["server"]
    assert shown["status"] == "BUILD"
    assert shown["OS-EXT-STS:task_state"] == "scheduling"
    assert shown["flavor"]["original_name"] == "m1.nano"
    assert shown["image"]["id"] == GUEST


async def test_show_flavor_is_a_link_before_2_47(api: Compute) -> None:
    uuid = await api.boot()
    shown = (await api.call("GET", f"/servers/{uuid}", version="2.46")).json()["server"]
    assert shown["flavor"]["id"] == "42"
    assert "locked_reason" not in shown


async def test_bad_inputs_are_400_and_create_nothing(api: Compute) -> None:
    base = {"name": "vm", "imageRef": GUEST, "flavorRef": "42", "networks": "none"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"flavorRef": "nope"}, "Invalid flavorRef provided."),
        ({"imageRef": "9e9e9e9e-0000-0000-0000-000000000000"}, "Can not find requested image"),
        ({"key_name": "missing"}, "Keypair missing not found for user alice-id"),
        ({"name": "x" * 256}, "Invalid input for field 'server.name'"),
        ({"user_data": "not base64!"}, "Invalid input for field 'user_data'"),
        ({"networks": [{"uuid": GUEST}]}, "networking is not available"),
        ({"availability_zone": "elsewhere"}, "The requested availability zone is not available"),
    ]
    for override, message in cases:
        resp = await api.call("POST", "/servers", {"server": {**base, **override}})
        assert resp.status_code == 400, (override, resp.text)
        assert message in fault(resp)["message"], (override, resp.text)
    missing = {k: v for k, v in base.items() if k != "flavorRef"}
    resp = await api.call("POST", "/servers", {"server": missing})
    assert resp.status_code == 400 and "flavorRef" in fault(resp)["message"]
    listed = (await api.call("GET", "/servers")).json()["servers"]
    assert listed == []


async def test_quota_exceeded_is_403_and_creates_nothing(api: Compute) -> None:
    resp = await api.call(
        "PUT", "/os-quota-sets/project-a", {"quota_set": {"cores": 2}}, token="admin"
    )
    assert resp.status_code == 200, resp.text
    body = {"name": "big", "imageRef": GUEST, "flavorRef": "3", "networks": "none",
            "min_count": 2}  # fmt: skip
    resp = await api.call("POST", "/servers", {"server": body})
    assert resp.status_code == 403
    assert fault(resp)["message"] == (
        "Quota exceeded for cores: Requested 4, but already used 0 of 2 cores"
    )
    assert (await api.call("GET", "/servers")).json()["servers"] == []


async def test_other_project_gets_404_for_every_verb(api: Compute) -> None:
    uuid = await api.active()
    calls = [
        ("GET", f"/servers/{uuid}", None),
        ("PUT", f"/servers/{uuid}", {"server": {"name": "x"}}),
        ("DELETE", f"/servers/{uuid}", None),
        ("POST", f"/servers/{uuid}/action", {"pause": None}),
        ("POST", f"/servers/{uuid}/action", {"os-stop": None}),
        ("GET", f"/servers/{uuid}/metadata", None),
        ("GET", f"/servers/{uuid}/os-instance-actions", None),
        ("GET", f"/servers/{uuid}/tags", None),
    ]
    for method, path, body in calls:
        resp = await api.call(method, path, body, token="bob")
        assert resp.status_code == 404, (method, path, resp.text)
        assert fault(resp)["message"] == f"Instance {uuid} could not be found."
    assert (await api.call("GET", "/servers", token="bob")).json()["servers"] == []


async def test_list_filters_sort_and_paging(api: Compute) -> None:
    first = await api.boot(name="web-1")
    second = await api.boot(name="web-2")
    await api.boot(name="db-1")
    named = (await api.call("GET", "/servers", params={"name": "^web"})).json()["servers"]
    assert {s["id"] for s in named} == {first, second}
    page = (await api.call("GET", "/servers", params={"limit": 2})).json()
    assert len(page["servers"]) == 2 and "marker=" in page["servers_links"][0]["href"]
    marker = page["servers"][-1]["id"]
    rest = (await api.call("GET", "/servers", params={"marker": marker})).json()
    assert len(rest["servers"]) == 1 and "servers_links" not in rest
    ordered = (
        await api.call("GET", "/servers/detail", params={"sort_key": "display_name",
                                                         "sort_dir": "asc"})
    ).json()["servers"]  # fmt: skip
    assert [s["name"] for s in ordered] == ["db-1", "web-1", "web-2"]
    bad = await api.call("GET", "/servers", params={"bogus": "1"})
    assert bad.status_code == 400 and "bogus" in fault(bad)["message"]


async def test_update_and_delete(api: Compute) -> None:
    uuid = await api.active()
    resp = await api.call("PUT", f"/servers/{uuid}", {"server": {"name": "renamed",
                                                               "description": "d"}})  # fmt: skip
    assert resp.status_code == 200 and resp.json()["server"]["name"] == "renamed"
    resp = await api.call("DELETE", f"/servers/{uuid}")
    assert resp.status_code == 204
    msg = api.state.rpc.last()
    assert isinstance(msg, TerminateInstance)
    shown = (await api.call("GET", f"/servers/{uuid}")).json()["server"]
    assert shown["OS-EXT-STS:task_state"] == "deleting"


async def test_delete_of_unscheduled_server_is_local(api: Compute) -> None:
    uuid = await api.boot()
    assert (await api.call("DELETE", f"/servers/{uuid}")).status_code == 204
    resp = await api.call("GET", f"/servers/{uuid}")
    assert resp.status_code == 404
