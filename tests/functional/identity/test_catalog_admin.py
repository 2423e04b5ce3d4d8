"""Regions, services and endpoints over REST."""

from __future__ import annotations

from tests.functional.identity.conftest import Api, error, unique


def test_region_crud_and_hierarchy(api: Api) -> None:
    parent_id = unique("region")
    made = api.put(f"/regions/{parent_id}", {"region": {"description": "top"}})
    assert made.status_code == 201 and made.json()["region"]["id"] == parent_id
    child = api.create("region", id=unique("sub"), parent_region_id=parent_id)
    assert child["parent_region_id"] == parent_id
    listed = api.get("/regions", params={"parent_region_id": parent_id}).json()["regions"]
    assert [r["id"] for r in listed] == [child["id"]]
    cycle = api.patch(f"/regions/{parent_id}", {"region": {"parent_region_id": child["id"]}})
    assert error(cycle)[0] == 400 and "Circular" in error(cycle)[1]
    missing_parent = api.post("/regions", {"region": {"parent_region_id": "nope"}})
    assert error(missing_parent) == (400, "Could not find region: nope.")
    assert error(api.put(f"/regions/{parent_id}", {"region": {}}))[0] == 409
    assert api.delete(f"/regions/{parent_id}").status_code == 204
    assert error(api.get(f"/regions/{child['id']}"))[0] == 404


def test_service_and_endpoint_crud_and_filters(api: Api) -> None:
    kind = unique("type")
    service = api.create("service", type=kind, name="svc", description="d")
    assert service["enabled"] is True
    found = api.get("/services", params={"type": kind}).json()["services"]
    assert [s["id"] for s in found] == [service["id"]]
    region = api.create("region", id=unique("r"))
    endpoint = api.create(
        "endpoint",
        service_id=service["id"],
        interface="internal",
        url="http://example.test:1234/v1",
        region_id=region["id"],
    )
    assert endpoint["region"] == region["id"] and endpoint["enabled"] is True
    filtered = api.get(
        "/endpoints", params={"service_id": service["id"], "interface": "internal"}
    ).json()["endpoints"]
    assert [e["id"] for e in filtered] == [endpoint["id"]]
    assert (
        api.get("/endpoints", params={"service_id": service["id"], "interface": "public"}).json()[
            "endpoints"
        ]
        == []
    )
    updated = api.patch(f"/endpoints/{endpoint['id']}", {"endpoint": {"url": "http://other.test/"}})
    assert updated.json()["endpoint"]["url"] == "http://other.test/"
    busy = api.delete(f"/regions/{region['id']}")
    assert error(busy)[0] == 403
    assert api.delete(f"/services/{service['id']}").status_code == 204
    assert error(api.get(f"/endpoints/{endpoint['id']}"))[0] == 404


def test_bad_endpoints(api: Api) -> None:
    service = api.create("service", type=unique("t"))
    body = {"service_id": service["id"], "interface": "private", "url": "http://x.test/"}
    wrong = api.post("/endpoints", {"endpoint": body})
    assert error(wrong)[0] == 400 and "endpoint.interface" in error(wrong)[1]
    body["interface"] = "public"
    no_service = api.post("/endpoints", {"endpoint": {**body, "service_id": "nope"}})
    assert error(no_service) == (400, "Could not find service: nope.")
    no_url = api.post("/endpoints", {"endpoint": {**body, "url": "not a url"}})
    assert error(no_url)[0] == 400
    assert error(api.post("/services", {"service": {"name": "no type"}}))[0] == 400
    assert error(api.get("/services/nope")) == (404, "Could not find service: nope.")
