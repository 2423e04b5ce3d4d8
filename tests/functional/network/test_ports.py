"""Ports: addresses, MACs, security, address pairs, DHCP options, DNS and binding."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.functional.network.conftest import Neutron, error_of


@pytest.fixture
def api(any_api: Neutron) -> Neutron:
    """These write paths run on SQLite and on PostgreSQL."""
    return any_api


async def _net(
    api: Neutron, cidr: str = "10.0.0.0/24", **subnet: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    net = await api.network(token="alice")
    return net, await api.subnet(net, cidr, token="alice", **subnet)


async def test_fixed_ips_by_subnet_and_by_address(api: Neutron) -> None:
    net, sub = await _net(api)
    by_subnet = await api.port(net, token="alice", fixed_ips=[{"subnet_id": sub["id"]}])
    assert by_subnet["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.0.0.2"}]
    by_address = await api.port(net, token="alice", fixed_ips=[{"ip_address": "10.0.0.77"}])
    assert by_address["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.0.0.77"}]
    taken = await api.call(
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.0.0.77"}]}},
        token="alice",
    )
    assert error_of(taken) == (
        409,
        "IpAddressAlreadyAllocated",
        f"IP address 10.0.0.77 already allocated in subnet {sub['id']}",
    )
    elsewhere = await api.call(
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": net["id"], "fixed_ips": [{"ip_address": "10.9.9.9"}]}},
        token="alice",
    )
    assert error_of(elsewhere)[:2] == (400, "InvalidIpForNetwork")


async def test_a_deleted_port_frees_its_address_and_a_full_subnet_is_409(api: Neutron) -> None:
    net, _sub = await _net(api, "10.0.0.0/29")  # .2-.6: five addresses
    ports = [await api.port(net, token="alice") for _ in range(5)]
    assert sorted(p["fixed_ips"][0]["ip_address"] for p in ports) == [
        f"10.0.0.{n}" for n in range(2, 7)
    ]
    full = await api.call("POST", "/v2.0/ports", {"port": {"network_id": net["id"]}}, token="alice")
    assert error_of(full) == (
        409,
        "IpAddressGenerationFailure",
        f"No more IP addresses available on network {net['id']}.",
    )
    count = len((await api.call("GET", "/v2.0/ports", token="alice")).json()["ports"])
    assert count == 5, "the refused port left nothing behind"
    await api.call("DELETE", f"/v2.0/ports/{ports[2]['id']}", token="alice")
    again = await api.port(net, token="alice")
    assert again["fixed_ips"][0]["ip_address"] == ports[2]["fixed_ips"][0]["ip_address"]


async def test_macs_are_generated_from_the_base_and_unique_per_network(api: Neutron) -> None:
    net, _ = await _net(api)
    port = await api.port(net, token="alice")
    assert port["mac_address"].startswith("fa:16:3e:")
    admin_mac = await api.port(net, mac_address="FA:16:3E:00:00:01")
    assert admin_mac["mac_address"] == "fa:16:3e:00:00:01"
    again = await api.call(
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": net["id"], "mac_address": "fa:16:3e:00:00:01"}},
    )
    assert error_of(again)[:2] == (409, "MacAddressInUse")
    other, _ = await _net(api)
    await api.port(other, mac_address="fa:16:3e:00:00:01")  # another network may reuse it


async def test_defaults_down_with_the_default_security_group(api: Neutron) -> None:
    net, _ = await _net(api)
    port = await api.port(net, token="alice")
    assert (port["status"], port["admin_state_up"], port["port_security_enabled"]) == (
        "DOWN", True, True,
    )  # fmt: skip
    groups = (await api.call("GET", "/v2.0/security-groups", token="alice")).json()
    [default] = [g for g in groups["security_groups"] if g["name"] == "default"]
    assert port["security_groups"] == [default["id"]]
    dhcp = await api.port(net, device_owner="network:dhcp")
    assert dhcp["security_groups"] == []


async def test_port_security_and_address_pairs(api: Neutron) -> None:
    net, _ = await _net(api)
    port = await api.port(net, token="alice", allowed_address_pairs=[{"ip_address": "10.0.0.200"}])
    assert port["allowed_address_pairs"] == [
        {"ip_address": "10.0.0.200", "mac_address": port["mac_address"]}
    ]
    path = f"/v2.0/ports/{port['id']}"
    off = await api.call("PUT", path, {"port": {"port_security_enabled": False}}, token="alice")
    assert error_of(off)[:2] == (409, "PortSecurityPortHasSecurityGroup")
    cleared = await api.call(
        "PUT",
        path,
        {
            "port": {
                "port_security_enabled": False,
                "security_groups": [],
                "allowed_address_pairs": [],
            }
        },
        token="alice",
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["port"]["port_security_enabled"] is False
    insecure = await api.call(
        "POST",
        "/v2.0/ports",
        {
            "port": {
                "network_id": net["id"],
                "port_security_enabled": False,
                "allowed_address_pairs": [{"ip_address": "10.0.0.9"}],
            }
        },
        token="alice",
    )
    assert error_of(insecure)[:2] == (409, "AddressPairAndPortSecurityRequired")


async def test_extra_dhcp_opts_and_dns(api: Neutron) -> None:
    net, _ = await _net(api)
    port = await api.port(
        net,
        token="alice",
        dns_name="web-1",
        extra_dhcp_opts=[{"opt_name": "bootfile-name", "opt_value": "pxelinux.0"}],
    )
    assert port["extra_dhcp_opts"] == [
        {"opt_name": "bootfile-name", "opt_value": "pxelinux.0", "ip_version": 4}
    ]
    address = port["fixed_ips"][0]["ip_address"]
    assert port["dns_assignment"] == [
        {"hostname": "web-1", "ip_address": address, "fqdn": "web-1.openstacklocal."}
    ]
    path = f"/v2.0/ports/{port['id']}"
    body = {"port": {"extra_dhcp_opts": [{"opt_name": "bootfile-name", "opt_value": None}]}}
    updated = (await api.call("PUT", path, body, token="alice")).json()["port"]
    assert updated["extra_dhcp_opts"] == []


async def test_binding_attributes_are_shown_to_admins_and_services_only(api: Neutron) -> None:
    net, _ = await _net(api)
    port = await api.port(net, token="alice")
    path = f"/v2.0/ports/{port['id']}"
    bound = await api.call("PUT", path, {"port": {"binding:host_id": "compute-1"}}, token="service")
    # No L2 agent reports from that host, so the binding fails (Neutron does the same).
    assert bound.status_code == 200, bound.text
    as_admin = (await api.call("GET", path)).json()["port"]
    assert as_admin["binding:host_id"] == "compute-1"
    assert (as_admin["binding:vif_type"], as_admin["binding:vnic_type"]) == (
        "binding_failed",
        "normal",
    )
    as_owner = (await api.call("GET", path, token="alice")).json()["port"]
    assert "binding:host_id" not in as_owner and "binding:profile" not in as_owner
    assert as_owner["binding:vnic_type"] == "normal"
    refused = await api.call("PUT", path, {"port": {"binding:host_id": "x"}}, token="alice")
    assert error_of(refused)[:2] == (403, "PolicyNotAuthorized")


async def test_changing_fixed_ips_keeps_what_is_asked_and_frees_the_rest(api: Neutron) -> None:
    net, sub = await _net(api)
    port = await api.port(
        net, token="alice", fixed_ips=[{"ip_address": "10.0.0.10"}, {"ip_address": "10.0.0.11"}]
    )
    path = f"/v2.0/ports/{port['id']}"
    body = {"port": {"fixed_ips": [{"ip_address": "10.0.0.11"}, {"ip_address": "10.0.0.20"}]}}
    updated = (await api.call("PUT", path, body, token="alice")).json()["port"]
    assert sorted(ip["ip_address"] for ip in updated["fixed_ips"]) == ["10.0.0.11", "10.0.0.20"]
    # An entry naming only a subnet keeps the address the port has there.
    body = {"port": {"fixed_ips": [{"subnet_id": sub["id"]}, {"ip_address": "10.0.0.20"}]}}
    kept = (await api.call("PUT", path, body, token="alice")).json()["port"]
    assert sorted(ip["ip_address"] for ip in kept["fixed_ips"]) == ["10.0.0.11", "10.0.0.20"]
    reuse = await api.port(net, token="alice", fixed_ips=[{"ip_address": "10.0.0.10"}])
    assert reuse["fixed_ips"][0]["ip_address"] == "10.0.0.10"


async def test_a_router_port_cannot_be_deleted_through_the_port_api(api: Neutron) -> None:
    net, _ = await _net(api)
    port = await api.port(net, device_owner="network:router_interface", device_id="r1")
    resp = await api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert error_of(resp)[:2] == (409, "ServicePortInUse")


async def test_a_port_renders_alike_on_both_databases(any_api: Neutron) -> None:
    net = await any_api.network(token="alice")
    first = await any_api.subnet(net, "10.0.0.0/24", token="alice")
    await any_api.subnet(net, "2001:db8::/64", token="alice", ipv6_address_mode="slaac",
                         ipv6_ra_mode="slaac")  # fmt: skip
    made = await any_api.port(
        net,
        mac_address="fa:16:3e:aa:bb:cc",
        fixed_ips=[{"subnet_id": first["id"], "ip_address": "10.0.0.9"}],
        allowed_address_pairs=[{"ip_address": "10.0.0.0/28", "mac_address": "fa:16:3e:00:00:09"}],
        extra_dhcp_opts=[{"opt_name": "mtu", "opt_value": "1400"}],
        dns_name="db",
        tags=["b", "a"],
        **{"binding:profile": {"local_link_information": [{"port_id": "eth0"}]}},
    )
    shown = (await any_api.call("GET", f"/v2.0/ports/{made['id']}")).json()["port"]
    assert shown == made
    # The address asked for, and the EUI-64 one on the SLAAC subnet no entry names.
    assert {ip["ip_address"] for ip in shown["fixed_ips"]} == {
        "10.0.0.9", "2001:db8::f816:3eff:feaa:bbcc",
    }  # fmt: skip
    assert shown["allowed_address_pairs"] == [
        {"ip_address": "10.0.0.0/28", "mac_address": "fa:16:3e:00:00:09"}
    ]
    assert shown["extra_dhcp_opts"] == [{"opt_name": "mtu", "opt_value": "1400", "ip_version": 4}]
    assert {"hostname": "db", "ip_address": "10.0.0.9", "fqdn": "db.openstacklocal."} in shown[
        "dns_assignment"
    ]
    assert (shown["tags"], shown["admin_state_up"], shown["port_security_enabled"]) == (
        ["a", "b"], True, True,
    )  # fmt: skip
    assert shown["binding:profile"] == {"local_link_information": [{"port_id": "eth0"}]}
    assert shown["binding:vif_details"] == {} and shown["revision_number"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", shown["created_at"])
    listed = (await any_api.call("GET", "/v2.0/ports", params={"id": made["id"]})).json()
    assert listed["ports"] == [shown]
    # A port made before a SLAAC subnet gets its EUI-64 address on it, in the same view.
    later = await any_api.subnet(net, "2001:db8:2::/64", token="alice",
                                 ipv6_address_mode="slaac", ipv6_ra_mode="slaac")  # fmt: skip
    again = (await any_api.call("GET", f"/v2.0/ports/{made['id']}")).json()["port"]
    assert {"subnet_id": later["id"], "ip_address": "2001:db8:2:0:f816:3eff:feaa:bbcc"} in again[
        "fixed_ips"
    ]
