"""Projects never see, use or attach to each other's resources unless RBAC shares them."""

from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import PROJECTS, Neutron, error_of


async def _alice_network(api: Neutron) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    net = await api.network(token="alice")
    sub = await api.subnet(net, token="alice")
    port = await api.port(net, token="alice")
    return net, sub, port


async def test_another_project_cannot_read_alice_s_resources(api: Neutron) -> None:
    net, sub, port = await _alice_network(api)
    group = await api.create("security_group", "alice", name="web")
    for path, kind in (
        (f"/v2.0/networks/{net['id']}", "NetworkNotFound"),
        (f"/v2.0/subnets/{sub['id']}", "SubnetNotFound"),
        (f"/v2.0/ports/{port['id']}", "PortNotFound"),
        (f"/v2.0/security-groups/{group['id']}", "SecurityGroupNotFound"),
    ):
        assert error_of(await api.call("GET", path, token="bob"))[:2] == (404, kind)
    for plural in ("networks", "subnets", "ports"):
        listed = await api.call("GET", f"/v2.0/{plural}", token="bob")
        assert listed.json()[plural] == []
    groups = (await api.call("GET", "/v2.0/security-groups", token="bob")).json()
    assert [g["name"] for g in groups["security_groups"]] == ["default"]


async def test_another_project_cannot_use_or_change_alice_s_resources(api: Neutron) -> None:
    net, sub, port = await _alice_network(api)
    group = await api.create("security_group", "alice", name="web")
    attach = await api.call("POST", "/v2.0/ports", {"port": {"network_id": net["id"]}}, token="bob")
    assert error_of(attach)[:2] == (404, "NetworkNotFound")
    subnet = await api.call(
        "POST",
        "/v2.0/subnets",
        {"subnet": {"network_id": net["id"], "cidr": "10.9.0.0/24", "ip_version": 4}},
        token="bob",
    )
    assert error_of(subnet)[:2] == (404, "NetworkNotFound")
    own = await api.network(token="bob")
    await api.subnet(own, token="bob")
    borrow = await api.call(
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": own["id"], "security_groups": [group["id"]]}},
        token="bob",
    )
    assert error_of(borrow)[:2] == (404, "SecurityGroupNotFound")
    for method, path in (
        ("PUT", f"/v2.0/networks/{net['id']}"),
        ("DELETE", f"/v2.0/networks/{net['id']}"),
        ("DELETE", f"/v2.0/ports/{port['id']}"),
        ("DELETE", f"/v2.0/subnets/{sub['id']}"),
    ):
        body = {"network": {"name": "mine"}} if method == "PUT" else None
        resp = await api.call(method, path, body, token="bob")
        assert resp.status_code == 404, (method, path, resp.text)
    assert (await api.call("GET", f"/v2.0/networks/{net['id']}", token="alice")).json()["network"][
        "name"
    ] == net["name"]


async def test_sharing_with_one_project_lets_it_attach_but_not_change(api: Neutron) -> None:
    net, sub, _ = await _alice_network(api)
    policy = await api.create(
        "rbac_policy",
        "alice",
        object_type="network",
        object_id=net["id"],
        action="access_as_shared",
        target_tenant=PROJECTS["bob"],
    )
    shown = (await api.call("GET", f"/v2.0/networks/{net['id']}", token="bob")).json()
    assert shown["network"]["shared"] is True
    assert (await api.call("GET", f"/v2.0/subnets/{sub['id']}", token="bob")).status_code == 200
    bob_port = await api.port(net, token="bob")
    assert bob_port["project_id"] == PROJECTS["bob"]
    rename = await api.call(
        "PUT", f"/v2.0/networks/{net['id']}", {"network": {"name": "x"}}, token="bob"
    )
    assert error_of(rename)[:2] == (403, "PolicyNotAuthorized")
    in_use = await api.call("DELETE", f"/v2.0/rbac-policies/{policy['id']}", token="alice")
    assert error_of(in_use)[:2] == (409, "RbacPolicyInUse")
    await api.call("DELETE", f"/v2.0/ports/{bob_port['id']}", token="bob")
    gone = await api.call("DELETE", f"/v2.0/rbac-policies/{policy['id']}", token="alice")
    assert gone.status_code == 204
    hidden = await api.call("GET", f"/v2.0/networks/{net['id']}", token="bob")
    assert error_of(hidden)[:2] == (404, "NetworkNotFound")


async def test_rbac_rules_for_non_owners_and_wildcards(api: Neutron) -> None:
    net, _, _ = await _alice_network(api)
    body = {
        "object_type": "network",
        "object_id": net["id"],
        "action": "access_as_shared",
        "target_tenant": "*",
    }
    wildcard = await api.call("POST", "/v2.0/rbac-policies", {"rbac_policy": body}, token="alice")
    assert error_of(wildcard)[:2] == (403, "PolicyNotAuthorized")
    stranger = await api.call(
        "POST",
        "/v2.0/rbac-policies",
        {"rbac_policy": {**body, "target_tenant": PROJECTS["bob"]}},
        token="bob",
    )
    assert error_of(stranger)[:2] == (400, "InvalidInput")
    shared = await api.call(
        "PUT", f"/v2.0/networks/{net['id']}", {"network": {"shared": True}}, token="admin"
    )
    assert shared.json()["network"]["shared"] is True
    listed = (await api.call("GET", "/v2.0/networks", token="bob")).json()["networks"]
    assert [n["id"] for n in listed] == [net["id"]]
    bob_port = await api.port(net, token="bob")
    unshare = await api.call(
        "PUT", f"/v2.0/networks/{net['id']}", {"network": {"shared": False}}, token="admin"
    )
    assert error_of(unshare)[:2] == (409, "InvalidSharedSetting")
    await api.call("DELETE", f"/v2.0/ports/{bob_port['id']}", token="bob")
    unshare = await api.call(
        "PUT", f"/v2.0/networks/{net['id']}", {"network": {"shared": False}}, token="admin"
    )
    assert unshare.json()["network"]["shared"] is False


async def test_an_external_network_is_visible_but_not_attachable(api: Neutron) -> None:
    external: dict[str, Any] = {"router:external": True}
    public = await api.network(**external)
    assert public["router:external"] is True
    seen = await api.call("GET", "/v2.0/networks", token="bob", params={"router:external": "true"})
    assert [n["id"] for n in seen.json()["networks"]] == [public["id"]]
    attach = await api.call(
        "POST", "/v2.0/ports", {"port": {"network_id": public["id"]}}, token="bob"
    )
    assert error_of(attach)[:2] == (403, "PolicyNotAuthorized")


async def test_a_reader_can_read_but_not_write(api: Neutron) -> None:
    net, _, _ = await _alice_network(api)
    assert (await api.call("GET", f"/v2.0/networks/{net['id']}", token="reader")).status_code == 200
    resp = await api.call("POST", "/v2.0/networks", {"network": {"name": "r"}}, token="reader")
    assert error_of(resp)[:2] == (403, "PolicyNotAuthorized")
    resp = await api.call("DELETE", f"/v2.0/networks/{net['id']}", token="reader")
    assert error_of(resp)[:2] == (403, "PolicyNotAuthorized")


async def test_project_id_of_another_project_is_for_admins(api: Neutron) -> None:
    body = {"network": {"name": "theirs", "project_id": PROJECTS["bob"]}}
    resp = await api.call("POST", "/v2.0/networks", body, token="alice")
    assert error_of(resp) == (
        400,
        "HTTPBadRequest",
        "Specifying 'project_id' other than the authenticated project in request is not "
        "allowed for the current user.",
    )
    made = await api.call("POST", "/v2.0/networks", body, token="admin")
    assert made.json()["network"]["tenant_id"] == PROJECTS["bob"]
    mismatch = {"network": {"project_id": PROJECTS["bob"], "tenant_id": PROJECTS["alice"]}}
    resp = await api.call("POST", "/v2.0/networks", mismatch, token="admin")
    assert error_of(resp) == (400, "HTTPBadRequest", "'project_id' and 'tenant_id' do not match")
