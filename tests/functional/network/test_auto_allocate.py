"""Auto-allocated topologies: made once per project, checked by a dry run, taken apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.functional.network.conftest import PROJECTS, Neutron, error_of

AUTO = "/v2.0/auto-allocated-topology"


async def _cloud(api: Neutron) -> dict[str, Any]:
    """What auto-allocation needs: a default external network and a default pool."""
    ext = await api.network(**{"router:external": True, "is_default": True})
    await api.subnet(ext, "172.24.4.0/24")
    pool = await api.create(
        "subnetpool",
        name="default-v4",
        prefixes=["10.128.0.0/16"],
        default_prefixlen=26,
        shared=True,
        is_default=True,
    )
    return {"ext": ext, "pool": pool}


async def _topology(api: Neutron, project: str = "None", token: str = "alice") -> Any:
    return await api.call("GET", f"{AUTO}/{project}", token=token)


async def test_the_first_request_makes_the_projects_network_and_router(api: Neutron) -> None:
    cloud = await _cloud(api)
    resp = await _topology(api)
    assert resp.status_code == 200, resp.text
    topology = resp.json()["auto_allocated_topology"]
    alice = PROJECTS["alice"]
    assert topology["tenant_id"] == topology["project_id"] == alice
    net = (await api.call("GET", f"/v2.0/networks/{topology['id']}", token="alice")).json()
    assert net["network"]["name"] == "auto_allocated_network"
    assert net["network"]["project_id"] == alice
    [subnet_id] = net["network"]["subnets"]
    subnet = (await api.call("GET", f"/v2.0/subnets/{subnet_id}", token="alice")).json()["subnet"]
    assert subnet["subnetpool_id"] == cloud["pool"]["id"]
    assert subnet["cidr"].startswith("10.128.") and subnet["cidr"].endswith("/26")
    routers = (await api.call("GET", "/v2.0/routers", token="alice")).json()["routers"]
    [router] = [r for r in routers if r["name"] == "auto_allocated_router"]
    assert router["external_gateway_info"]["network_id"] == cloud["ext"]["id"]
    ports = await api.call(
        "GET", "/v2.0/ports", params={"device_id": router["id"], "network_id": net["network"]["id"]}
    )
    [interface] = ports.json()["ports"]
    assert interface["device_owner"] == "network:router_interface"
    assert interface["fixed_ips"][0]["ip_address"] == subnet["gateway_ip"]
    # The second request answers the same network and makes nothing more.
    again = (await _topology(api)).json()["auto_allocated_topology"]
    assert again["id"] == topology["id"]
    nets = (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert [n["name"] for n in nets if n["project_id"] == alice] == ["auto_allocated_network"]


async def test_concurrent_first_requests_make_one_topology(any_api: Neutron) -> None:
    await _cloud(any_api)
    replies = await asyncio.gather(*(_topology(any_api) for _ in range(8)))
    assert Counter(r.status_code for r in replies) == {200: 8}, [r.text for r in replies]
    assert len({r.json()["auto_allocated_topology"]["id"] for r in replies}) == 1
    routers = (await any_api.call("GET", "/v2.0/routers", token="alice")).json()["routers"]
    assert len(routers) == 1
    nets = (await any_api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert len([n for n in nets if n["project_id"] == PROJECTS["alice"]]) == 1


async def test_a_dry_run_checks_without_making_anything(api: Neutron) -> None:
    resp = await api.call("GET", f"{AUTO}/None", params={"fields": "dry-run"}, token="alice")
    assert error_of(resp) == (409, "AutoAllocationFailure", error_of(resp)[2])
    assert "No default router:external network" in error_of(resp)[2]
    ext = await api.network(**{"router:external": True, "is_default": True})
    await api.subnet(ext, "172.24.4.0/24")
    resp = await api.call("GET", f"{AUTO}/None", params={"fields": "dry-run"}, token="alice")
    assert "No default subnetpools defined" in error_of(resp)[2]
    await _cloud_pool_only(api)
    resp = await api.call("GET", f"{AUTO}/None", params={"fields": "dry-run"}, token="alice")
    assert resp.status_code == 200
    assert resp.json()["auto_allocated_topology"]["id"] == "dry-run=pass"
    routers = (await api.call("GET", "/v2.0/routers", token="alice")).json()["routers"]
    assert routers == []
    resp = await api.call("GET", f"{AUTO}/None", params={"fields": "name"}, token="alice")
    assert error_of(resp)[:2] == (400, "HTTPBadRequest")


async def _cloud_pool_only(api: Neutron) -> None:
    await api.create(
        "subnetpool",
        name="p",
        prefixes=["10.128.0.0/16"],
        default_prefixlen=26,
        shared=True,
        is_default=True,
    )


async def test_a_failed_build_leaves_nothing_behind(api: Neutron) -> None:
    await _cloud(api)
    alice = PROJECTS["alice"]
    await api.call("PUT", f"/v2.0/quotas/{alice}", {"quota": {"router": 0}})
    resp = await _topology(api)
    assert error_of(resp)[:2] == (409, "OverQuota")
    nets = (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert [n for n in nets if n["project_id"] == alice] == []


async def test_another_projects_topology_is_refused_and_the_admin_may_make_it(
    api: Neutron,
) -> None:
    await _cloud(api)
    bob = PROJECTS["bob"]
    assert error_of(await _topology(api, bob, token="alice"))[:2] == (
        403,
        "PolicyNotAuthorized",
    )
    assert error_of(await api.call("DELETE", f"{AUTO}/{bob}", token="alice"))[0] == 403
    made = (await _topology(api, bob, token="admin")).json()["auto_allocated_topology"]
    assert made["project_id"] == bob
    nets = (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert made["id"] not in {n["id"] for n in nets}


async def test_delete_takes_the_topology_apart_and_the_next_request_makes_a_new_one(
    api: Neutron,
) -> None:
    await _cloud(api)
    first = (await _topology(api)).json()["auto_allocated_topology"]["id"]
    resp = await api.call("DELETE", f"{AUTO}/None", token="alice")
    assert resp.status_code == 204
    assert (await api.call("GET", f"/v2.0/networks/{first}")).status_code == 404
    assert (await api.call("GET", "/v2.0/routers", token="alice")).json()["routers"] == []
    # Nothing to delete is no error.
    assert (await api.call("DELETE", f"{AUTO}/None", token="alice")).status_code == 204
    second = (await _topology(api)).json()["auto_allocated_topology"]["id"]
    assert second != first


async def test_one_default_external_network_at_a_time(api: Neutron) -> None:
    first = await api.network(**{"router:external": True, "is_default": True})
    assert first["is_default"] is True
    resp = await api.call(
        "POST",
        "/v2.0/networks",
        {"network": {"name": "x", "router:external": True, "is_default": True}},
    )
    assert error_of(resp)[:2] == (409, "DefaultExternalNetworkExists")
    second = await api.network(**{"router:external": True})
    assert second["is_default"] is False
    resp = await api.call(
        "PUT", f"/v2.0/networks/{second['id']}", {"network": {"is_default": True}}
    )
    assert error_of(resp)[:2] == (409, "DefaultExternalNetworkExists")
    # Only admins choose the default; internal networks do not show the attribute.
    resp = await api.call(
        "POST", "/v2.0/networks", {"network": {"is_default": True}}, token="alice"
    )
    assert error_of(resp)[:2] == (403, "PolicyNotAuthorized")
    assert "is_default" not in await api.network(token="alice")
    listed = await api.call("GET", "/v2.0/networks", params={"is_default": "true"})
    assert [n["id"] for n in listed.json()["networks"]] == [first["id"]]


async def test_an_external_networks_free_floating_ips_go_with_it(api: Neutron) -> None:
    ext = await api.network(**{"router:external": True})
    await api.subnet(ext, "172.24.9.0/24", enable_dhcp=False)
    body = {"floatingip": {"floating_network_id": ext["id"]}}
    fip = (await api.call("POST", "/v2.0/floatingips", body)).json()["floatingip"]
    assert (await api.call("DELETE", f"/v2.0/networks/{ext['id']}")).status_code == 204
    assert (await api.call("GET", f"/v2.0/floatingips/{fip['id']}")).status_code == 404
    ports = await api.call("GET", "/v2.0/ports", params={"network_id": ext["id"]})
    assert ports.json()["ports"] == []


async def test_subnets_say_whether_their_network_is_external(api: Neutron) -> None:
    ext = await api.network(**{"router:external": True})
    sub = await api.subnet(ext, "172.24.8.0/24", enable_dhcp=False)
    assert sub["router:external"] is True
    seen = (await api.call("GET", f"/v2.0/subnets/{sub['id']}", token="alice")).json()
    assert seen["subnet"]["router:external"] is True
    mine = await api.subnet(await api.network(token="alice"), "10.9.0.0/24", token="alice")
    assert mine["router:external"] is False
    listed = await api.call("GET", "/v2.0/subnets", params={"router:external": "true"})
    assert [s["id"] for s in listed.json()["subnets"]] == [sub["id"]]


async def test_a_remote_group_that_names_no_group_is_404(api: Neutron) -> None:
    group = await api.create("security_group", token="alice", name="g")
    for remote in ("bad_group_id", "00000000-0000-0000-0000-000000000000"):
        rule = {
            "security_group_id": group["id"],
            "direction": "ingress",
            "protocol": "tcp",
            "remote_group_id": remote,
        }
        resp = await api.call(
            "POST", "/v2.0/security-group-rules", {"security_group_rule": rule}, token="alice"
        )
        assert error_of(resp)[:2] == (404, "SecurityGroupNotFound")
