"""Routers: CRUD, gateways, interfaces, extra routes, their errors and policies."""

from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import PROJECTS, Neutron, error_of

ROUTERS = "/v2.0/routers"


async def _external(api: Neutron, cidr: str = "172.24.4.0/24") -> dict[str, Any]:
    net = await api.network(**{"router:external": True})
    await api.subnet(net, cidr)
    return net


async def _private(api: Neutron, cidr: str = "10.0.0.0/24", token: str = "alice") -> Any:
    net = await api.network(token=token)
    return net, await api.subnet(net, cidr, token=token)


async def _router(api: Neutron, token: str = "alice", **fields: Any) -> dict[str, Any]:
    resp = await api.call("POST", ROUTERS, {"router": {"name": "r", **fields}}, token=token)
    assert resp.status_code == 201, resp.text
    found: dict[str, Any] = resp.json()["router"]
    return found


async def _attach(api: Neutron, router: dict[str, Any], token: str = "alice", **info: Any) -> Any:
    path = f"{ROUTERS}/{router['id']}/add_router_interface"
    return await api.call("PUT", path, info, token=token)


async def _detach(api: Neutron, router: dict[str, Any], token: str = "alice", **info: Any) -> Any:
    path = f"{ROUTERS}/{router['id']}/remove_router_interface"
    return await api.call("PUT", path, info, token=token)


async def _ports(api: Neutron, **params: str) -> list[dict[str, Any]]:
    resp = await api.call("GET", "/v2.0/ports", params=params)
    found: list[dict[str, Any]] = resp.json()["ports"]
    return found


async def test_a_router_is_created_with_neutron_fields(api: Neutron) -> None:
    router = await _router(api, description="d", tags=["t"])
    assert router["project_id"] == router["tenant_id"] == PROJECTS["alice"]
    assert router["status"] == "ACTIVE" and router["admin_state_up"] is True
    assert router["external_gateway_info"] is None and router["routes"] == []
    assert router["description"] == "d" and router["tags"] == ["t"]
    assert router["revision_number"] == 0 and router["availability_zone_hints"] == []
    assert "distributed" not in router and "ha" not in router  # admins' attributes
    shown = (await api.call("GET", f"{ROUTERS}/{router['id']}")).json()["router"]
    assert shown["distributed"] is False and shown["ha"] is False


async def test_a_gateway_takes_a_port_and_an_address_on_the_external_network(
    api: Neutron,
) -> None:
    ext = await _external(api)
    router = await _router(api, external_gateway_info={"network_id": ext["id"]})
    info = router["external_gateway_info"]
    assert info["network_id"] == ext["id"] and info["enable_snat"] is True
    [fixed] = info["external_fixed_ips"]
    assert fixed["ip_address"].startswith("172.24.4.")
    [port] = await _ports(api, device_id=router["id"])
    assert port["device_owner"] == "network:router_gateway"
    assert port["fixed_ips"] == [fixed] and port["project_id"] == ""
    # The router's ports cannot be deleted directly.
    resp = await api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert error_of(resp)[:2] == (409, "ServicePortInUse")
    # Clearing the gateway removes its port.
    path = f"{ROUTERS}/{router['id']}"
    resp = await api.call("PUT", path, {"router": {"external_gateway_info": {}}}, token="alice")
    assert resp.status_code == 200 and resp.json()["router"]["external_gateway_info"] is None
    assert await _ports(api, device_id=router["id"]) == []


async def test_a_gateway_needs_an_external_network(api: Neutron) -> None:
    net, _ = await _private(api)
    resp = await api.call(
        "POST",
        ROUTERS,
        {"router": {"external_gateway_info": {"network_id": net["id"]}}},
        token="alice",
    )
    assert error_of(resp) == (
        400,
        "BadRequest",
        f"Bad router request: Network {net['id']} is not an external network.",
    )
    assert (await api.call("GET", ROUTERS, token="alice")).json()["routers"] == []


async def test_snat_and_gateway_addresses_are_the_admins_to_set(api: Neutron) -> None:
    ext = await _external(api)
    for key, value in (
        ("enable_snat", False),
        ("external_fixed_ips", [{"ip_address": "172.24.4.9"}]),
    ):
        body = {"router": {"external_gateway_info": {"network_id": ext["id"], key: value}}}
        resp = await api.call("POST", ROUTERS, body, token="alice")
        rule = f"create_router:external_gateway_info:{key}"
        assert error_of(resp) == (
            403,
            "PolicyNotAuthorized",
            f"(rule:{rule}) is disallowed by policy",
        )
    body = {
        "router": {
            "project_id": PROJECTS["alice"],
            "external_gateway_info": {
                "network_id": ext["id"],
                "enable_snat": False,
                "external_fixed_ips": [{"ip_address": "172.24.4.9"}],
            },
        }
    }
    resp = await api.call("POST", ROUTERS, body)
    info = resp.json()["router"]["external_gateway_info"]
    assert info["enable_snat"] is False
    assert [f["ip_address"] for f in info["external_fixed_ips"]] == ["172.24.4.9"]


async def test_a_subnet_is_attached_on_its_gateway_ip_and_detached(api: Neutron) -> None:
    net, sub = await _private(api)
    router = await _router(api)
    resp = await _attach(api, router, subnet_id=sub["id"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["id"] == router["id"] and body["subnet_id"] == sub["id"]
    assert body["subnet_ids"] == [sub["id"]] and body["network_id"] == net["id"]
    assert body["project_id"] == body["tenant_id"] == PROJECTS["alice"]
    [port] = await _ports(api, device_id=router["id"])
    assert port["id"] == body["port_id"] and port["device_owner"] == "network:router_interface"
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.0.0.1"}]
    resp = await api.call("DELETE", f"/v2.0/ports/{port['id']}", token="alice")
    assert error_of(resp)[:2] == (409, "ServicePortInUse")
    resp = await api.call("DELETE", f"{ROUTERS}/{router['id']}", token="alice")
    assert error_of(resp) == (409, "RouterInUse", f"Router {router['id']} still has ports")
    resp = await _detach(api, router, subnet_id=sub["id"])
    assert resp.status_code == 200 and resp.json()["port_id"] == port["id"]
    assert await _ports(api, device_id=router["id"]) == []
    resp = await _detach(api, router, subnet_id=sub["id"])
    assert error_of(resp) == (
        404,
        "RouterInterfaceNotFoundForSubnet",
        f"Router {router['id']} has no interface on subnet {sub['id']}",
    )
    resp = await api.call("DELETE", f"{ROUTERS}/{router['id']}", token="alice")
    assert resp.status_code == 204


async def test_interface_errors_are_neutrons(api: Neutron) -> None:
    _, sub = await _private(api)
    router = await _router(api)
    assert (await _attach(api, router, subnet_id=sub["id"])).status_code == 200
    again = await _attach(api, router, subnet_id=sub["id"])
    assert error_of(again) == (
        400,
        "BadRequest",
        f"Bad router request: Router already has a port on subnet {sub['id']}.",
    )
    _, overlapping = await _private(api, "10.0.0.0/16")
    resp = await _attach(api, router, subnet_id=overlapping["id"])
    assert error_of(resp) == (
        400,
        "BadRequest",
        f"Bad router request: Cidr 10.0.0.0/16 of subnet {overlapping['id']} overlaps with "
        f"cidr 10.0.0.0/24 of subnet {sub['id']}.",
    )
    _, no_gateway = await _private(api, "10.9.0.0/24")
    await api.call("PUT", f"/v2.0/subnets/{no_gateway['id']}", {"subnet": {"gateway_ip": None}})
    resp = await _attach(api, router, subnet_id=no_gateway["id"])
    assert error_of(resp) == (
        400,
        "BadRequest",
        "Bad router request: Subnet for router interface must have a gateway IP.",
    )
    resp = await _attach(api, router)
    assert error_of(resp) == (
        400,
        "BadRequest",
        "Bad router request: Either subnet_id or port_id must be specified.",
    )
    resp = await _attach(api, router, subnet_id=sub["id"], port_id=sub["id"])
    assert error_of(resp) == (
        400,
        "BadRequest",
        "Bad router request: Cannot specify both subnet-id and port-id.",
    )
    missing = "00000000-0000-0000-0000-000000000000"
    assert error_of(await _attach(api, router, subnet_id=missing))[:2] == (404, "SubnetNotFound")
    resp = await _detach(api, router, port_id=missing)
    assert error_of(resp)[:2] == (404, "RouterInterfaceNotFound")


async def test_a_port_is_attached_unless_it_is_in_use(api: Neutron) -> None:
    net, _ = await _private(api)
    router = await _router(api)
    port = await api.port(net, token="alice")
    resp = await _attach(api, router, port_id=port["id"])
    assert resp.status_code == 200, resp.text
    shown = (await api.call("GET", f"/v2.0/ports/{port['id']}")).json()["port"]
    assert shown["device_id"] == router["id"]
    assert shown["device_owner"] == "network:router_interface"
    used = await api.port(net, token="alice", device_id="some-server")
    other = await _router(api)
    resp = await _attach(api, other, port_id=used["id"])
    assert error_of(resp) == (
        409,
        "PortInUse",
        f"Unable to complete operation on port {used['id']} for network {net['id']}. "
        "Port already has an attached device some-server.",
    )
    resp = await _detach(api, router, port_id=port["id"])
    assert resp.status_code == 200
    resp = await api.call("GET", f"/v2.0/ports/{port['id']}")
    assert resp.status_code == 404


async def test_extra_routes_are_set_added_and_removed(api: Neutron) -> None:
    _, sub = await _private(api)
    router = await _router(api)
    await _attach(api, router, subnet_id=sub["id"])
    path = f"{ROUTERS}/{router['id']}"
    route = {"destination": "192.168.0.0/24", "nexthop": "10.0.0.5"}
    resp = await api.call("PUT", path, {"router": {"routes": [route]}}, token="alice")
    assert resp.status_code == 200 and resp.json()["router"]["routes"] == [route]
    more = {"destination": "192.168.1.0/24", "nexthop": "10.0.0.6"}
    resp = await api.call(
        "PUT", f"{path}/add_extraroutes", {"router": {"routes": [more]}}, token="alice"
    )
    assert resp.json()["router"]["routes"] == [route, more]
    resp = await api.call(
        "PUT", f"{path}/remove_extraroutes", {"router": {"routes": [route]}}, token="alice"
    )
    assert resp.json()["router"]["routes"] == [more]
    far = {"destination": "192.168.2.0/24", "nexthop": "10.5.0.1"}
    resp = await api.call(
        "PUT", f"{path}/add_extraroutes", {"router": {"routes": [far]}}, token="alice"
    )
    status, kind, message = error_of(resp)
    assert (status, kind) == (400, "InvalidRoutes")
    assert message.endswith("the nexthop is not connected with router")
    resp = await _detach(api, router, subnet_id=sub["id"])
    assert error_of(resp)[:2] == (409, "RouterInterfaceInUseByRoute")
    resp = await api.call("POST", ROUTERS, {"router": {"routes": [route]}}, token="alice")
    assert error_of(resp) == (400, "HTTPBadRequest", "Attribute 'routes' not allowed in POST")


async def test_projects_do_not_see_or_use_each_others_routers(api: Neutron) -> None:
    router = await _router(api)
    path = f"{ROUTERS}/{router['id']}"
    assert (await api.call("GET", ROUTERS, token="bob")).json()["routers"] == []
    for method, url, body in (
        ("GET", path, None),
        ("PUT", path, {"router": {"name": "x"}}),
        ("DELETE", path, None),
        ("PUT", f"{path}/add_router_interface", {"subnet_id": router["id"]}),
    ):
        resp = await api.call(method, url, body, token="bob")
        assert error_of(resp)[:2] == (404, "RouterNotFound"), (method, url)
    # Nor can bob attach alice's subnet to his own router.
    _, sub = await _private(api)
    bobs = await _router(api, token="bob")
    resp = await _attach(api, bobs, token="bob", subnet_id=sub["id"])
    assert error_of(resp)[:2] == (404, "SubnetNotFound")


async def test_readers_see_but_do_not_change_routers(api: Neutron) -> None:
    router = await _router(api)
    path = f"{ROUTERS}/{router['id']}"
    assert (await api.call("GET", path, token="reader")).status_code == 200
    resp = await api.call("PUT", path, {"router": {"name": "x"}}, token="reader")
    assert error_of(resp) == (
        403,
        "PolicyNotAuthorized",
        "(rule:update_router) is disallowed by policy",
    )
    resp = await api.call("POST", ROUTERS, {"router": {}}, token="reader")
    assert error_of(resp)[:2] == (403, "PolicyNotAuthorized")
    resp = await api.call(
        "PUT", f"{path}/add_router_interface", {"subnet_id": router["id"]}, token="reader"
    )
    assert error_of(resp) == (
        403,
        "PolicyNotAuthorized",
        "(rule:add_router_interface) is disallowed by policy",
    )


async def test_routers_page_and_filter(api: Neutron) -> None:
    made = [await _router(api, name=f"r{i}") for i in range(5)]
    resp = await api.call(
        "GET", ROUTERS, params={"limit": 2, "sort_key": "name", "sort_dir": "asc"}, token="alice"
    )
    body = resp.json()
    assert [r["name"] for r in body["routers"]] == ["r0", "r1"]
    assert body["routers_links"][0]["rel"] == "next"
    resp = await api.call("GET", ROUTERS, params={"name": "r3"}, token="alice")
    assert [r["id"] for r in resp.json()["routers"]] == [made[3]["id"]]
    resp = await api.call("GET", ROUTERS, params={"bogus": "1"}, token="alice")
    assert resp.status_code == 400


async def test_updates_bump_the_revision_and_honour_if_match(api: Neutron) -> None:
    ext = await _external(api)
    router = await _router(api, external_gateway_info={"network_id": ext["id"]})
    path = f"{ROUTERS}/{router['id']}"
    body = {"router": {"name": "renamed", "admin_state_up": False}}
    resp = await api.call("PUT", path, body, token="alice")
    shown = resp.json()["router"]
    assert (shown["name"], shown["admin_state_up"]) == ("renamed", False)
    assert shown["revision_number"] > router["revision_number"]
    stale = {"If-Match": f"revision_number={router['revision_number']}"}
    resp = await api.call("PUT", path, body, token="alice", headers=stale)
    assert error_of(resp)[:2] == (412, "RevisionNumberConstraintFailed")
    # SNAT is the admins' to turn off, on the same gateway (its address is kept).
    snat = {"router": {"external_gateway_info": {"network_id": ext["id"], "enable_snat": False}}}
    resp = await api.call("PUT", path, snat, token="alice")
    assert error_of(resp)[:2] == (403, "PolicyNotAuthorized")
    info = (await api.call("PUT", path, snat)).json()["router"]["external_gateway_info"]
    assert info["enable_snat"] is False
    assert info["external_fixed_ips"] == router["external_gateway_info"]["external_fixed_ips"]
