"""Floating IPs: create, associate through a router, disassociate, delete; pools."""

from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import PROJECTS, Neutron, error_of

FIPS = "/v2.0/floatingips"


async def _topology(api: Neutron, token: str = "alice") -> dict[str, Any]:
    """An external network, and a project's network routed to it."""
    ext = await api.network(**{"router:external": True})
    ext_sub = await api.subnet(ext, "172.24.4.0/24")
    net = await api.network(token=token)
    sub = await api.subnet(net, "10.0.0.0/24", token=token)
    body = {"router": {"external_gateway_info": {"network_id": ext["id"]}}}
    router = (await api.call("POST", "/v2.0/routers", body, token=token)).json()["router"]
    path = f"/v2.0/routers/{router['id']}/add_router_interface"
    resp = await api.call("PUT", path, {"subnet_id": sub["id"]}, token=token)
    assert resp.status_code == 200, resp.text
    return {"ext": ext, "ext_sub": ext_sub, "net": net, "sub": sub, "router": router}


async def _fip(api: Neutron, ext: dict[str, Any], token: str = "alice", **fields: Any) -> Any:
    body = {"floatingip": {"floating_network_id": ext["id"], **fields}}
    return await api.call("POST", FIPS, body, token=token)


async def test_a_floating_ip_is_created_on_the_external_network(api: Neutron) -> None:
    top = await _topology(api)
    resp = await _fip(api, top["ext"], description="d")
    assert resp.status_code == 201, resp.text
    fip = resp.json()["floatingip"]
    assert fip["floating_ip_address"].startswith("172.24.4.")
    assert fip["floating_network_id"] == top["ext"]["id"]
    assert fip["project_id"] == fip["tenant_id"] == PROJECTS["alice"]
    assert fip["status"] == "DOWN" and fip["port_id"] is None and fip["router_id"] is None
    assert fip["fixed_ip_address"] is None and fip["port_details"] is None
    assert fip["description"] == "d" and fip["revision_number"] == 0
    ports = (await api.call("GET", "/v2.0/ports", params={"device_id": fip["id"]})).json()
    [port] = ports["ports"]
    assert port["device_owner"] == "network:floatingip"
    assert port["fixed_ips"][0]["ip_address"] == fip["floating_ip_address"]
    resp = await api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert error_of(resp)[:2] == (409, "ServicePortInUse")
    assert (await api.call("DELETE", f"{FIPS}/{fip['id']}", token="alice")).status_code == 204
    resp = await api.call("GET", f"/v2.0/ports/{port['id']}")
    assert resp.status_code == 404


async def test_floating_ip_create_errors(api: Neutron) -> None:
    top = await _topology(api)
    resp = await _fip(api, top["net"])
    assert error_of(resp) == (
        400,
        "BadRequest",
        f"Bad floatingip request: Network {top['net']['id']} is not a valid external network.",
    )
    resp = await _fip(api, top["ext"], floating_ip_address="172.24.4.77")
    assert error_of(resp) == (
        403,
        "PolicyNotAuthorized",
        "(rule:create_floatingip:floating_ip_address) is disallowed by policy",
    )
    resp = await _fip(api, top["ext"], token="admin", floating_ip_address="172.24.4.77")
    assert resp.json()["floatingip"]["floating_ip_address"] == "172.24.4.77"
    again = await _fip(api, top["ext"], token="admin", floating_ip_address="172.24.4.77")
    assert error_of(again)[:2] == (409, "IpAddressAlreadyAllocated")
    missing = "00000000-0000-0000-0000-000000000000"
    assert error_of(await _fip(api, {"id": missing}))[:2] == (404, "NetworkNotFound")
    resp = await api.call("POST", FIPS, {"floatingip": {}}, token="alice")
    assert error_of(resp)[:2] == (400, "HTTPBadRequest")
    listed = (await api.call("GET", FIPS, token="alice")).json()["floatingips"]
    assert listed == []


async def test_association_goes_through_the_router_and_back(api: Neutron) -> None:
    top = await _topology(api)
    port = await api.port(top["net"], token="alice")
    fip = (await _fip(api, top["ext"], port_id=port["id"])).json()["floatingip"]
    assert fip["port_id"] == port["id"] and fip["router_id"] == top["router"]["id"]
    assert fip["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    details = fip["port_details"]
    assert details["network_id"] == top["net"]["id"]
    assert details["mac_address"] == port["mac_address"]
    path = f"{FIPS}/{fip['id']}"
    resp = await api.call("PUT", path, {"floatingip": {"port_id": None}}, token="alice")
    shown = resp.json()["floatingip"]
    assert shown["port_id"] is None and shown["router_id"] is None
    assert shown["port_details"] is None and shown["revision_number"] > fip["revision_number"]
    body = {"floatingip": {"port_id": port["id"], "fixed_ip_address": "10.0.0.250"}}
    resp = await api.call("PUT", path, body, token="alice")
    assert error_of(resp) == (
        400,
        "BadRequest",
        f"Bad floatingip request: Port {port['id']} does not have fixed ip 10.0.0.250.",
    )
    resp = await api.call("PUT", path, {"floatingip": {"port_id": port["id"]}}, token="alice")
    assert resp.json()["floatingip"]["port_id"] == port["id"]
    # The router's interface cannot go while the floating IP needs it.
    detach = f"/v2.0/routers/{top['router']['id']}/remove_router_interface"
    resp = await api.call("PUT", detach, {"subnet_id": top["sub"]["id"]}, token="alice")
    assert error_of(resp)[:2] == (409, "RouterInterfaceInUseByFloatingIP")
    router = f"/v2.0/routers/{top['router']['id']}"
    resp = await api.call("PUT", router, {"router": {"external_gateway_info": {}}}, token="alice")
    assert error_of(resp)[:2] == (409, "RouterExternalGatewayInUseByFloatingIp")
    # Deleting the port disassociates its floating IP.
    assert (await api.call("DELETE", f"/v2.0/ports/{port['id']}", token="alice")).status_code == 204
    shown = (await api.call("GET", path, token="alice")).json()["floatingip"]
    assert shown["port_id"] is None and shown["fixed_ip_address"] is None


async def test_an_unrouted_port_cannot_get_a_floating_ip(api: Neutron) -> None:
    top = await _topology(api)
    net = await api.network(token="alice")
    sub = await api.subnet(net, "10.1.0.0/24", token="alice")
    port = await api.port(net, token="alice")
    resp = await _fip(api, top["ext"], port_id=port["id"])
    assert error_of(resp) == (
        404,
        "ExternalGatewayForFloatingIPNotFound",
        f"External network {top['ext']['id']} is not reachable from subnet {sub['id']}.  "
        f"Therefore, cannot associate Port {port['id']} with a Floating IP.",
    )
    listed = (await api.call("GET", FIPS, token="alice")).json()["floatingips"]
    assert listed == []  # nothing half-written


async def test_one_floating_ip_per_fixed_ip(api: Neutron) -> None:
    top = await _topology(api)
    port = await api.port(top["net"], token="alice")
    first = (await _fip(api, top["ext"], port_id=port["id"])).json()["floatingip"]
    resp = await _fip(api, top["ext"], port_id=port["id"])
    status, kind, message = error_of(resp)
    assert (status, kind) == (409, "FloatingIPPortAlreadyAssociated")
    assert (
        f"as that fixed IP already has a floating IP on external network {top['ext']['id']}"
        in message
    )
    assert first["id"] not in message  # the message names the new floating IP


async def test_projects_do_not_see_or_use_each_others_floating_ips(api: Neutron) -> None:
    top = await _topology(api)
    fip = (await _fip(api, top["ext"])).json()["floatingip"]
    path = f"{FIPS}/{fip['id']}"
    assert (await api.call("GET", FIPS, token="bob")).json()["floatingips"] == []
    for method, body in (
        ("GET", None),
        ("PUT", {"floatingip": {"port_id": None}}),
        ("DELETE", None),
    ):
        resp = await api.call(method, path, body, token="bob")
        assert error_of(resp)[:2] == (404, "FloatingIPNotFound"), method
    # Bob's floating IP cannot point at alice's port.
    port = await api.port(top["net"], token="alice")
    bobs = (await _fip(api, top["ext"], token="bob")).json()["floatingip"]
    body = {"floatingip": {"port_id": port["id"]}}
    resp = await api.call("PUT", f"{FIPS}/{bobs['id']}", body, token="bob")
    assert error_of(resp)[:2] == (404, "PortNotFound")
    resp = await api.call("PUT", path, {"floatingip": {"description": "x"}}, token="reader")
    assert error_of(resp) == (
        403,
        "PolicyNotAuthorized",
        "(rule:update_floatingip) is disallowed by policy",
    )


async def test_floating_ip_pools_are_the_external_ipv4_subnets(api: Neutron) -> None:
    top = await _topology(api)
    pools = (await api.call("GET", "/v2.0/floatingip_pools", token="bob")).json()
    assert pools["floatingip_pools"] == [
        {
            "subnet_id": top["ext_sub"]["id"],
            "subnet_name": top["ext_sub"]["name"],
            "cidr": "172.24.4.0/24",
            "network_id": top["ext"]["id"],
            "project_id": top["ext_sub"]["project_id"],
            "tenant_id": top["ext_sub"]["project_id"],
        }
    ]
