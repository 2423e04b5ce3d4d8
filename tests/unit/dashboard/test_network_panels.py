"""The network panels' pure parts: the topology layout and the rule form's checks."""

from __future__ import annotations

import pytest

from nimbostack.clients.rest import RestError
from nimbostack.dashboard import topology
from nimbostack.dashboard.views.networks import subnet_fields
from nimbostack.dashboard.views.security_groups import rule_fields
from nimbostack.dashboard.web import Form

PUBLIC = {"id": "pub", "name": "public", "router:external": True}
PRIVATE = {"id": "priv", "name": "private"}


def _port(device: str, network: str, ip: str, owner: str = "compute:nova") -> dict[str, object]:
    return {"device_id": device, "network_id": network, "device_owner": owner,
            "fixed_ips": [{"ip_address": ip}]}  # fmt: skip


def test_topology_taps_each_network_a_node_has_an_address_on() -> None:
    router = {"id": "r1", "name": "router1", "external_gateway_info": {
        "network_id": "pub", "external_fixed_ips": [{"ip_address": "172.24.4.10"}]}}  # fmt: skip
    ports = [
        _port("r1", "priv", "10.0.0.1", "network:router_interface"),
        _port("vm1", "priv", "10.0.0.5"),
        _port("dhcp", "priv", "10.0.0.2", "network:dhcp"),
        _port("vm-elsewhere", "unknown-net", "10.9.9.9"),
    ]
    subnets = [{"network_id": "priv", "cidr": "10.0.0.0/26"}]
    drawing = topology.layout([PRIVATE, PUBLIC], subnets, [router], ports, {"vm1": "web"})
    assert [lane.name for lane in drawing.lanes] == ["public", "private"]  # external first
    x = {lane.id: lane.x for lane in drawing.lanes}
    assert drawing.lanes[1].cidrs == "10.0.0.0/26"
    router_node, vm = drawing.nodes
    assert (router_node.kind, vm.kind, vm.name) == ("router", "instance", "web")
    assert [(t.x, t.address) for t in router_node.taps] == [
        (x["pub"], "172.24.4.10"), (x["priv"], "10.0.0.1")]  # fmt: skip
    assert [(t.x, t.address) for t in vm.taps] == [(x["priv"], "10.0.0.5")]
    assert vm.y > router_node.y and drawing.height > vm.y and drawing.width > x["priv"]


def test_an_instance_without_ports_is_drawn_without_taps() -> None:
    drawing = topology.layout([PRIVATE], [], [], [], {"vm2": "lonely"})
    [node] = drawing.nodes
    assert node.taps == [] and node.reach < drawing.lanes[0].x


def _form(**fields: str) -> Form:
    return Form(list(fields.items()))


def test_a_rule_form_becomes_the_apis_body() -> None:
    body = rule_fields(_form(protocol="tcp", port_min="22", remote_ip_prefix="10.1.2.3/8"), "g")
    assert body == {"security_group_id": "g", "direction": "ingress", "protocol": "tcp",
                    "port_range_min": 22, "port_range_max": 22,
                    "remote_ip_prefix": "10.0.0.0/8", "ethertype": "IPv4"}  # fmt: skip
    six = rule_fields(_form(direction="egress", remote_ip_prefix="2001:db8::/32"), "g")
    assert six["ethertype"] == "IPv6" and "protocol" not in six
    grouped = rule_fields(_form(protocol="icmp", remote_group_id="g2", ethertype="IPv6"), "g")
    assert grouped["remote_group_id"] == "g2" and grouped["ethertype"] == "IPv6"


@pytest.mark.parametrize(
    "fields",
    [
        {"protocol": "tcp", "port_min": "70000"},
        {"protocol": "tcp", "port_min": "-1"},
        {"protocol": "tcp", "port_min": "90", "port_max": "80"},
        {"protocol": "any", "port_min": "80"},
        {"protocol": "gre"},
        {"direction": "sideways"},
        {"remote_ip_prefix": "10.0.0.0/99"},
        {"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "g2"},
    ],
)
def test_bad_rule_forms_are_refused_with_a_400(fields: dict[str, str]) -> None:
    with pytest.raises(RestError) as refused:
        rule_fields(_form(**fields), "g")
    assert refused.value.status == 400


def test_subnet_form_checks_the_range_and_the_gateway_choice() -> None:
    assert isinstance(subnet_fields({"cidr": "10.0.0.0/33"}, "n"), str)
    body = subnet_fields({"cidr": "10.5.0.9/24", "no_gateway": "on", "enable_dhcp": "on"}, "n")
    assert body == {"network_id": "n", "cidr": "10.5.0.0/24", "ip_version": 4, "name": "",
                    "enable_dhcp": True, "gateway_ip": None}  # fmt: skip
