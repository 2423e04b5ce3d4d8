"""Security groups and rules: the default group, rule validation, duplicates, groups in use."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.network.conftest import Neutron, error_of


def _shape(rule: dict[str, Any]) -> tuple[Any, ...]:
    remote = (
        "self" if rule["remote_group_id"] == rule["security_group_id"] else rule["remote_group_id"]
    )
    return (
        rule["direction"],
        rule["ethertype"],
        rule["protocol"],
        rule["remote_ip_prefix"],
        remote,
    )


async def test_every_project_gets_a_default_group_with_neutron_s_rules(api: Neutron) -> None:
    groups = (await api.call("GET", "/v2.0/security-groups", token="alice")).json()
    [default] = groups["security_groups"]
    assert (default["name"], default["description"], default["stateful"]) == (
        "default", "Default security group", True,
    )  # fmt: skip
    assert sorted(_shape(r) for r in default["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None),
        ("egress", "IPv6", None, None, None),
        ("ingress", "IPv4", None, None, "self"),
        ("ingress", "IPv6", None, None, "self"),
    ]
    assert all(r["belongs_to_default_sg"] for r in default["security_group_rules"])
    again = (await api.call("GET", "/v2.0/security-groups", token="alice")).json()
    assert [g["id"] for g in again["security_groups"]] == [default["id"]]


async def test_a_new_group_allows_egress_only(api: Neutron) -> None:
    group = await api.create("security_group", "alice", name="web", description="web tier")
    assert sorted(_shape(r) for r in group["security_group_rules"]) == [
        ("egress", "IPv4", None, None, None),
        ("egress", "IPv6", None, None, None),
    ]
    twin = await api.call(
        "POST", "/v2.0/security-groups", {"security_group": {"name": "default"}}, token="alice"
    )
    assert error_of(twin)[:2] == (409, "SecurityGroupDefaultAlreadyExists")


async def test_rules_by_protocol_name_or_number_and_duplicates(api: Neutron) -> None:
    group = await api.create("security_group", "alice", name="web")
    rule = await api.create(
        "security_group_rule",
        "alice",
        security_group_id=group["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="192.168.1.5/24",
    )
    assert (rule["protocol"], rule["ethertype"], rule["normalized_cidr"]) == (
        "tcp", "IPv4", "192.168.1.0/24",
    )  # fmt: skip
    same_by_number = {
        "security_group_id": group["id"], "direction": "ingress", "protocol": "6",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "192.168.1.5/24",
    }  # fmt: skip
    resp = await api.call(
        "POST", "/v2.0/security-group-rules", {"security_group_rule": same_by_number}, token="alice"
    )
    assert error_of(resp) == (
        409,
        "SecurityGroupRuleExists",
        f"Security group rule already exists. Rule id is {rule['id']}.",
    )
    icmp = await api.create(
        "security_group_rule", "alice", security_group_id=group["id"], direction="ingress",
        protocol="icmp", port_range_min=8, port_range_max=0,
    )  # fmt: skip
    assert (icmp["port_range_min"], icmp["port_range_max"]) == (8, 0)
    shown = (await api.call("GET", f"/v2.0/security-groups/{group['id']}", token="alice")).json()
    assert len(shown["security_group"]["security_group_rules"]) == 4
    assert shown["security_group"]["revision_number"] > group["revision_number"]


@pytest.mark.parametrize(
    ("fields", "status", "kind"),
    [
        ({"protocol": "tcp", "port_range_min": 100, "port_range_max": 90}, 400,
         "SecurityGroupInvalidPortRange"),
        ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 80}, 400,
         "SecurityGroupInvalidPortValue"),
        ({"protocol": "bogus"}, 400, "SecurityGroupRuleInvalidProtocol"),
        ({"protocol": 256}, 400, "SecurityGroupRuleInvalidProtocol"),
        ({"port_range_min": 22, "port_range_max": 22}, 400,
         "SecurityGroupProtocolRequiredWithPorts"),
        ({"protocol": "icmp", "port_range_max": 3}, 400, "SecurityGroupMissingIcmpType"),
        ({"protocol": "icmp", "port_range_min": 300}, 400, "SecurityGroupInvalidIcmpValue"),
        ({"protocol": "gre", "port_range_min": 1, "port_range_max": 2}, 400,
         "SecurityGroupInvalidProtocolForPort"),
        ({"remote_ip_prefix": "2001:db8::/64"}, 400, "SecurityGroupRuleParameterConflict"),
        ({"protocol": "ipv6-icmp"}, 400, "SecurityGroupEthertypeConflictWithProtocol"),
        ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "SELF"}, 400,
         "SecurityGroupMultipleRemoteEntites"),
        ({"direction": "sideways"}, 400, "HTTPBadRequest"),
    ],
)  # fmt: skip
async def test_bad_rules_are_400(
    api: Neutron, fields: dict[str, Any], status: int, kind: str
) -> None:
    group = await api.create("security_group", "alice", name="g")
    body = {"security_group_id": group["id"], "direction": "ingress", **fields}
    if body.get("remote_group_id") == "SELF":
        body["remote_group_id"] = group["id"]
    resp = await api.call(
        "POST", "/v2.0/security-group-rules", {"security_group_rule": body}, token="alice"
    )
    assert error_of(resp)[:2] == (status, kind), resp.text


async def test_a_group_in_use_cannot_be_deleted(api: Neutron) -> None:
    group = await api.create("security_group", "alice", name="web")
    net = await api.network(token="alice")
    await api.subnet(net, token="alice")
    port = await api.port(net, token="alice", security_groups=[group["id"]])
    assert port["security_groups"] == [group["id"]]
    path = f"/v2.0/security-groups/{group['id']}"
    assert error_of(await api.call("DELETE", path, token="alice")) == (
        409,
        "SecurityGroupInUse",
        f"Security Group {group['id']} in use.",
    )
    await api.call("DELETE", f"/v2.0/ports/{port['id']}", token="alice")
    assert (await api.call("DELETE", path, token="alice")).status_code == 204


async def test_the_default_group_cannot_be_renamed_nor_removed_by_its_project(api: Neutron) -> None:
    groups = (await api.call("GET", "/v2.0/security-groups", token="alice")).json()
    default = groups["security_groups"][0]
    path = f"/v2.0/security-groups/{default['id']}"
    rename = await api.call("PUT", path, {"security_group": {"name": "x"}}, token="alice")
    assert error_of(rename)[:2] == (409, "SecurityGroupCannotUpdateDefault")
    remove = await api.call("DELETE", path, token="alice")
    assert error_of(remove)[:2] == (409, "SecurityGroupCannotRemoveDefault")
    described = await api.call(
        "PUT", path, {"security_group": {"description": "ours"}}, token="alice"
    )
    assert described.json()["security_group"]["description"] == "ours"


async def test_remote_groups_and_address_groups(api: Neutron) -> None:
    web = await api.create("security_group", "alice", name="web")
    db = await api.create("security_group", "alice", name="db")
    rule = await api.create(
        "security_group_rule", "alice", security_group_id=db["id"], direction="ingress",
        protocol="tcp", port_range_min=5432, port_range_max=5432, remote_group_id=web["id"],
    )  # fmt: skip
    assert rule["remote_group_id"] == web["id"]
    ag = await api.create("address_group", "alice", name="office", addresses=["10.1.0.0/16"])
    by_ag = await api.create(
        "security_group_rule", "alice", security_group_id=db["id"], direction="ingress",
        remote_address_group_id=ag["id"],
    )  # fmt: skip
    assert by_ag["remote_address_group_id"] == ag["id"]
    added = await api.call(
        "PUT",
        f"/v2.0/address-groups/{ag['id']}/add_addresses",
        {"addresses": ["192.168.0.7"]},
        token="alice",
    )
    assert added.json()["address_group"]["addresses"] == ["10.1.0.0/16", "192.168.0.7/32"]
    in_use = await api.call("DELETE", f"/v2.0/address-groups/{ag['id']}", token="alice")
    assert error_of(in_use)[:2] == (409, "AddressGroupInUse")
    foreign = await api.create("security_group", "bob", name="x")
    resp = await api.call(
        "POST",
        "/v2.0/security-group-rules",
        {
            "security_group_rule": {
                "security_group_id": db["id"],
                "direction": "ingress",
                "remote_group_id": foreign["id"],
            }
        },
        token="alice",
    )
    assert error_of(resp)[:2] == (404, "SecurityGroupNotFound")


async def test_another_project_cannot_add_rules_to_alice_s_group(api: Neutron) -> None:
    group = await api.create("security_group", "alice", name="web")
    body = {"security_group_rule": {"security_group_id": group["id"], "direction": "ingress"}}
    resp = await api.call("POST", "/v2.0/security-group-rules", body, token="bob")
    assert error_of(resp)[:2] == (404, "SecurityGroupNotFound")
