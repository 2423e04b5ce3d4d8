"""Resource providers, inventories, traits, aggregates and resource classes over HTTP."""

from __future__ import annotations

import uuid

from tests.functional.placement.conftest import Placement, error_of


async def test_root_document_is_public(api: Placement) -> None:
    resp = await api.call("GET", "/", token=None, version=None)
    assert resp.status_code == 200
    version = resp.json()["versions"][0]
    assert (version["min_version"], version["max_version"]) == ("1.0", "1.39")


async def test_unknown_microversion_is_406(api: Placement) -> None:
    resp = await api.call("GET", "/resource_providers", version="1.99")
    assert resp.status_code == 406
    assert "1.99" in error_of(resp)["detail"]


async def test_member_is_forbidden_and_anonymous_unauthorized(api: Placement) -> None:
    resp = await api.call("GET", "/resource_providers", token="member")
    assert resp.status_code == 403
    assert "placement:resource_providers:list" in error_of(resp)["detail"]
    assert (await api.call("GET", "/resource_providers", token=None)).status_code == 401
    assert (await api.call("GET", "/resource_providers", token="service")).status_code == 200


async def test_create_show_and_list_provider(api: Placement) -> None:
    rp_uuid = str(uuid.uuid4())
    resp = await api.call("POST", "/resource_providers", {"name": "cn1", "uuid": rp_uuid})
    assert resp.status_code == 200
    body = resp.json()
    assert body["generation"] == 0 and body["root_provider_uuid"] == rp_uuid
    assert resp.headers["location"].endswith(rp_uuid)
    old = await api.call("POST", "/resource_providers", {"name": "cn2"}, version="1.19")
    assert old.status_code == 201 and old.content == b""
    listed = (await api.call("GET", "/resource_providers", params={"name": "cn1"})).json()
    assert [p["uuid"] for p in listed["resource_providers"]] == [rp_uuid]


async def test_duplicate_name_is_409_with_code(api: Placement) -> None:
    await api.provider("same")
    resp = await api.call("POST", "/resource_providers", {"name": "same"})
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "placement.duplicate_name"


async def test_bad_provider_bodies_are_400_naming_the_field(api: Placement) -> None:
    resp = await api.call("POST", "/resource_providers", {"name": "x", "uuid": "nope"})
    assert resp.status_code == 400
    assert "uuid" in error_of(resp)["detail"]
    resp = await api.call("POST", "/resource_providers", {"nom": "x"})
    assert resp.status_code == 400
    assert "nom" in error_of(resp)["detail"]


async def test_unknown_provider_is_404(api: Placement) -> None:
    resp = await api.call("GET", f"/resource_providers/{uuid.uuid4()}/inventories")
    assert resp.status_code == 404
    assert "No resource provider" in error_of(resp)["detail"]


async def test_nested_providers_and_in_tree(api: Placement) -> None:
    root = await api.provider("root")
    resp = await api.call(
        "POST", "/resource_providers", {"name": "child", "parent_provider_uuid": root["uuid"]}
    )
    child = resp.json()
    assert child["parent_provider_uuid"] == root["uuid"]
    assert child["root_provider_uuid"] == root["uuid"]
    await api.provider("other")
    listed = await api.call("GET", "/resource_providers", params={"in_tree": child["uuid"]})
    assert {p["name"] for p in listed.json()["resource_providers"]} == {"root", "child"}
    resp = await api.call("DELETE", f"/resource_providers/{root['uuid']}")
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "placement.resource_provider.cannot_delete"


async def test_inventory_generation_conflict(api: Placement) -> None:
    rp = await api.provider(VCPU=8)
    body = {"inventories": {"VCPU": {"total": 4}}, "resource_provider_generation": 0}
    resp = await api.call("PUT", f"/resource_providers/{rp['uuid']}/inventories", body)
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "placement.concurrent_update"


async def test_inventory_validation(api: Placement) -> None:
    rp = await api.provider()
    path = f"/resource_providers/{rp['uuid']}/inventories"
    bad_total = {"inventories": {"VCPU": {"total": 0}}, "resource_provider_generation": 0}
    resp = await api.call("PUT", path, bad_total)
    assert resp.status_code == 400 and "total" in error_of(resp)["detail"]
    reserved = {
        "inventories": {"VCPU": {"total": 2, "reserved": 3}},
        "resource_provider_generation": 0,
    }
    resp = await api.call("PUT", path, reserved)
    assert resp.status_code == 400 and "reserved" in error_of(resp)["detail"]
    unknown = {"inventories": {"CUSTOM_NOPE": {"total": 1}}, "resource_provider_generation": 0}
    resp = await api.call("PUT", path, unknown)
    assert resp.status_code == 400 and "CUSTOM_NOPE" in error_of(resp)["detail"]


async def test_inventory_in_use_cannot_be_deleted(api: Placement) -> None:
    rp = await api.provider(VCPU=8, MEMORY_MB=1024)
    consumer = str(uuid.uuid4())
    alloc = {
        "allocations": {rp["uuid"]: {"resources": {"VCPU": 2}}},
        "project_id": "p",
        "user_id": "u",
        "consumer_generation": None,
        "consumer_type": "INSTANCE",
    }
    assert (await api.call("PUT", f"/allocations/{consumer}", alloc)).status_code == 204
    resp = await api.call("DELETE", f"/resource_providers/{rp['uuid']}/inventories/VCPU")
    assert resp.status_code == 409
    assert error_of(resp)["code"] == "placement.inventory.inuse"
    ok = await api.call("DELETE", f"/resource_providers/{rp['uuid']}/inventories/MEMORY_MB")
    assert ok.status_code == 204


async def test_one_inventory_crud(api: Placement) -> None:
    rp = await api.provider()
    path = f"/resource_providers/{rp['uuid']}/inventories"
    body = {"resource_class": "DISK_GB", "total": 100, "resource_provider_generation": 0}
    resp = await api.call("POST", path, body)
    assert resp.status_code == 201 and resp.json()["resource_provider_generation"] == 1
    upd = {"total": 200, "resource_provider_generation": 1, "allocation_ratio": 1.5}
    resp = await api.call("PUT", f"{path}/DISK_GB", upd)
    assert resp.status_code == 200 and resp.json()["total"] == 200
    shown = (await api.call("GET", f"{path}/DISK_GB")).json()
    assert shown["allocation_ratio"] == 1.5 and shown["resource_provider_generation"] == 2


async def test_custom_resource_classes(api: Placement) -> None:
    assert (await api.call("PUT", "/resource_classes/CUSTOM_GOLD")).status_code == 201
    assert (await api.call("PUT", "/resource_classes/CUSTOM_GOLD")).status_code == 204
    resp = await api.call("POST", "/resource_classes", {"name": "GOLD"})
    assert resp.status_code == 400 and "name" in error_of(resp)["detail"]
    resp = await api.call("DELETE", "/resource_classes/VCPU")
    assert resp.status_code == 400 and "standard" in error_of(resp)["detail"]
    names = [
        rc["name"] for rc in (await api.call("GET", "/resource_classes")).json()["resource_classes"]
    ]
    assert "VCPU" in names and "CUSTOM_GOLD" in names
    assert (await api.call("DELETE", "/resource_classes/CUSTOM_GOLD")).status_code == 204


async def test_traits_and_provider_traits(api: Placement) -> None:
    assert (await api.call("PUT", "/traits/CUSTOM_FAST")).status_code == 201
    resp = await api.call("PUT", "/traits/FAST")
    assert resp.status_code == 400 and "CUSTOM_" in error_of(resp)["detail"]
    rp = await api.provider()
    path = f"/resource_providers/{rp['uuid']}/traits"
    body = {"traits": ["CUSTOM_FAST", "HW_CPU_X86_AVX2"], "resource_provider_generation": 0}
    resp = await api.call("PUT", path, body)
    assert resp.status_code == 200 and resp.json()["resource_provider_generation"] == 1
    stale = await api.call("PUT", path, body)
    assert stale.status_code == 409 and error_of(stale)["code"] == "placement.concurrent_update"
    resp = await api.call("DELETE", "/traits/CUSTOM_FAST")
    assert resp.status_code == 409
    listed = await api.call(
        "GET", "/traits", params={"name": "startswith:CUSTOM_", "associated": "true"}
    )
    assert listed.json()["traits"] == ["CUSTOM_FAST"]


async def test_aggregates_with_generation(api: Placement) -> None:
    rp = await api.provider()
    agg = str(uuid.uuid4())
    path = f"/resource_providers/{rp['uuid']}/aggregates"
    resp = await api.call("PUT", path, {"aggregates": [agg], "resource_provider_generation": 0})
    assert resp.status_code == 200
    assert resp.json() == {"aggregates": [agg], "resource_provider_generation": 1}
    old = await api.call("PUT", path, [agg], version="1.1")
    assert old.status_code == 200 and old.json() == {"aggregates": [agg]}
    listed = await api.call("GET", "/resource_providers", params={"member_of": f"in:{agg}"})
    assert [p["uuid"] for p in listed.json()["resource_providers"]] == [rp["uuid"]]
