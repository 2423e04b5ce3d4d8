"""Flavors, keypairs, quotas, limits and version discovery over HTTP."""

from __future__ import annotations

from tests.functional.compute.api_support import Compute, api, fault

__all__ = ["api"]

ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq0p1oFXFjvxTbeYXy5n2e5Y3rRfZDP4aoP2Tcs+o9y t"


async def test_versions_document(api: Compute) -> None:
    resp = await api.client.get("/v2.1", headers={})
    version = resp.json()["version"]
    assert version["version"] == "2.96" and version["min_version"] == "2.1"
    resp = await api.call("GET", "/flavors", version="2.97")
    assert resp.status_code == 406


async def test_default_flavors_and_admin_only_create(api: Compute) -> None:
    listed = (await api.call("GET", "/flavors/detail")).json()["flavors"]
    assert {f["name"] for f in listed} >= {"m1.nano", "m1.micro", "m1.tiny", "m1.small"}
    body = {"flavor": {"name": "f1", "ram": 256, "vcpus": 1, "disk": 1, "id": "f1"}}
    denied = await api.call("POST", "/flavors", body)
    assert denied.status_code == 403
    made = await api.call("POST", "/flavors", body, token="admin")
    assert made.status_code == 200 and made.json()["flavor"]["ram"] == 256
    again = await api.call("POST", "/flavors", body, token="admin")
    assert again.status_code == 409
    bad = await api.call("POST", "/flavors", {"flavor": {"name": "f2", "ram": 0, "vcpus": 1,
                                                       "disk": 1}}, token="admin")  # fmt: skip
    assert bad.status_code == 400
    assert (await api.call("DELETE", "/flavors/f1", token="admin")).status_code == 202
    assert (await api.call("GET", "/flavors/f1")).status_code == 404


async def test_private_flavor_access(api: Compute) -> None:
    body = {"flavor": {"name": "priv", "ram": 256, "vcpus": 1, "disk": 1, "id": "priv",
                       "os-flavor-access:is_public": False}}  # fmt: skip
    assert (await api.call("POST", "/flavors", body, token="admin")).status_code == 200
    assert (await api.call("GET", "/flavors/priv")).status_code == 404
    grant = {"addTenantAccess": {"tenant": "project-a"}}
    assert (await api.call("POST", "/flavors/priv/action", grant, token="admin")).status_code == 200
    assert (await api.call("GET", "/flavors/priv")).status_code == 200
    assert (await api.call("GET", "/flavors/priv", token="bob")).status_code == 404


async def test_extra_specs(api: Compute) -> None:
    specs = {"extra_specs": {"hw:cpu_policy": "shared"}}
    made = await api.call("POST", "/flavors/42/os-extra_specs", specs, token="admin")
    assert made.status_code == 200
    shown = (await api.call("GET", "/flavors/42", token="admin")).json()["flavor"]
    assert shown["extra_specs"] == {"hw:cpu_policy": "shared"}
    gone = await api.call("DELETE", "/flavors/42/os-extra_specs/nope", token="admin")
    assert gone.status_code == 404


async def test_keypair_import_generate_and_isolation(api: Compute) -> None:
    made = await api.call("POST", "/os-keypairs", {"keypair": {"name": "k1",
                                                             "public_key": ED25519}})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["keypair"]["fingerprint"].count(":") == 15
    gen = await api.call("POST", "/os-keypairs", {"keypair": {"name": "k2"}}, version="2.91")
    assert "PRIVATE KEY" in gen.json()["keypair"]["private_key"]
    refused = await api.call("POST", "/os-keypairs", {"keypair": {"name": "k3"}})
    assert refused.status_code == 400
    bad = await api.call("POST", "/os-keypairs", {"keypair": {"name": "k4",
                                                            "public_key": "junk"}})  # fmt: skip
    assert bad.status_code == 400 and "Keypair data is invalid" in fault(bad)["message"]
    assert (await api.call("GET", "/os-keypairs/k1", token="bob")).status_code == 404
    listed = (await api.call("GET", "/os-keypairs")).json()["keypairs"]
    assert [k["keypair"]["name"] for k in listed] == ["k1", "k2"]
    assert (await api.call("DELETE", "/os-keypairs/k1")).status_code == 204


async def test_limits_count_usage(api: Compute) -> None:
    await api.boot()
    limits = (await api.call("GET", "/limits")).json()["limits"]["absolute"]
    assert limits["totalInstancesUsed"] == 1 and limits["totalCoresUsed"] == 1
    assert limits["totalRAMUsed"] == 128 and limits["maxTotalCores"] == 20
    denied = await api.call("PUT", "/os-quota-sets/project-a", {"quota_set": {"cores": 1}})
    assert denied.status_code == 403


async def test_services_and_hypervisors_are_admin_only(api: Compute) -> None:
    await api.add_host()
    assert (await api.call("GET", "/os-services")).status_code == 403
    services = (await api.call("GET", "/os-services", token="admin")).json()["services"]
    assert services[0]["binary"] == "nova-compute" and services[0]["state"] == "up"
    hypervisors = (await api.call("GET", "/os-hypervisors/detail", token="admin")).json()
    assert hypervisors["hypervisors"][0]["hypervisor_hostname"] == "host1-node"
    service_id = services[0]["id"]
    disabled = await api.call(
        "PUT", f"/os-services/{service_id}", {"status": "disabled",
                                              "disabled_reason": "x"}, token="admin"
    )  # fmt: skip
    assert disabled.json()["service"]["status"] == "disabled"
