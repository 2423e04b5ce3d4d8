"""Subnets: IPv4 and IPv6, pools, gateways, DNS and routes, subnet pools, validation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.network.conftest import Neutron, error_of


async def test_an_ipv4_subnet_gets_a_gateway_and_a_pool_around_it(api: Neutron) -> None:
    net = await api.network(token="alice")
    sub = await api.subnet(
        net,
        "192.168.5.0/24",
        token="alice",
        dns_nameservers=["8.8.8.8", "1.1.1.1"],
        host_routes=[{"destination": "10.9.0.0/16", "nexthop": "192.168.5.254"}],
    )
    assert sub["gateway_ip"] == "192.168.5.1"
    assert sub["allocation_pools"] == [{"start": "192.168.5.2", "end": "192.168.5.254"}]
    assert sub["dns_nameservers"] == ["8.8.8.8", "1.1.1.1"]
    assert sub["host_routes"] == [{"destination": "10.9.0.0/16", "nexthop": "192.168.5.254"}]
    shown = (await api.call("GET", f"/v2.0/networks/{net['id']}", token="alice")).json()
    assert shown["network"]["subnets"] == [sub["id"]]


async def test_a_subnet_without_gateway_and_with_its_own_pools(api: Neutron) -> None:
    net = await api.network(token="alice")
    pools = [
        {"start": "10.1.0.10", "end": "10.1.0.20"},
        {"start": "10.1.0.100", "end": "10.1.0.110"},
    ]
    sub = await api.subnet(
        net, "10.1.0.0/24", token="alice", gateway_ip=None, allocation_pools=pools
    )
    assert sub["gateway_ip"] is None
    assert sub["allocation_pools"] == pools


@pytest.mark.parametrize(
    ("mode", "first_address"),
    [("slaac", None), ("dhcpv6-stateful", "2001:db8:1::2"), (None, "2001:db8:1::2")],
)
async def test_ipv6_subnets_in_each_address_mode(
    api: Neutron, mode: str | None, first_address: str | None
) -> None:
    net = await api.network(token="alice")
    modes: dict[str, Any] = {"ipv6_ra_mode": mode, "ipv6_address_mode": mode} if mode else {}
    sub = await api.subnet(net, "2001:db8:1::/64", token="alice", **modes)
    assert (sub["ip_version"], sub["gateway_ip"]) == (6, "2001:db8:1::1")
    assert sub["ipv6_address_mode"] == mode
    port = await api.port(net, token="alice", mac_address="fa:16:3e:11:22:33")
    [ip] = port["fixed_ips"]
    if mode == "slaac":
        assert ip["ip_address"] == "2001:db8:1:0:f816:3eff:fe11:2233"  # EUI-64 of the MAC
    else:
        assert ip["ip_address"] == first_address


@pytest.mark.parametrize(
    ("fields", "status", "kind", "message"),
    [
        ({"gateway_ip": "10.5.0.1"}, 400, "InvalidInput",
         "Invalid input for operation: Gateway is not valid on subnet."),
        ({"gateway_ip": "10.0.0.255"}, 400, "InvalidInput",
         "Invalid input for operation: Gateway is not valid on subnet."),
        ({"allocation_pools": [{"start": "10.0.0.200", "end": "10.0.1.5"}]}, 400,
         "OutOfBoundsAllocationPool",
         "The allocation pool 10.0.0.200-10.0.1.5 spans beyond the subnet cidr 10.0.0.0/24."),
        ({"allocation_pools": [{"start": "10.0.0.1", "end": "10.0.0.9"}]}, 409,
         "GatewayConflictWithAllocationPools",
         "Gateway ip 10.0.0.1 conflicts with allocation pool 10.0.0.1-10.0.0.9."),
        ({"allocation_pools": [{"start": "10.0.0.50", "end": "10.0.0.10"}]}, 400,
         "InvalidAllocationPool", "The allocation pool 10.0.0.50-10.0.0.10 is not valid."),
        ({"ipv6_address_mode": "slaac"}, 400, "InvalidInput",
         "Invalid input for operation: ipv6_address_mode is not valid when ip_version is 4."),
        ({"ipv6_ra_mode": "slaac"}, 400, "InvalidInput",
         "Invalid input for operation: ipv6_ra_mode is not valid when ip_version is 4."),
        ({"dns_nameservers": ["2001:db8::53"]}, 400, "InvalidInput",
         "Invalid input for operation: dns_nameserver '2001:db8::53' does not match the "
         "ip_version '4'."),
        ({"cidr": "not-a-cidr"}, 400, "HTTPBadRequest",
         "Invalid input for cidr. Reason: 'not-a-cidr' is not a valid IP subnet."),
        ({"ip_version": 5}, 400, "HTTPBadRequest",
         "Invalid input for ip_version. Reason: '5' is not in [4, 6]."),
    ],
)  # fmt: skip
async def test_bad_subnets_are_refused(
    api: Neutron, fields: dict[str, Any], status: int, kind: str, message: str
) -> None:
    net = await api.network(token="alice")
    body = {"network_id": net["id"], "cidr": "10.0.0.0/24", "ip_version": 4, **fields}
    resp = await api.call("POST", "/v2.0/subnets", {"subnet": body}, token="alice")
    assert error_of(resp) == (status, kind, message)
    listed = await api.call("GET", "/v2.0/subnets", token="alice")
    assert listed.json()["subnets"] == [], "nothing half-created"


async def test_overlapping_cidrs_in_one_network_are_refused(api: Neutron) -> None:
    net = await api.network(token="alice")
    await api.subnet(net, "10.0.0.0/24", token="alice")
    body = {"network_id": net["id"], "cidr": "10.0.0.128/25", "ip_version": 4}
    resp = await api.call("POST", "/v2.0/subnets", {"subnet": body}, token="alice")
    assert error_of(resp) == (
        400,
        "InvalidInput",
        f"Invalid input for operation: Requested subnet with cidr: 10.0.0.128/25 for network: "
        f"{net['id']} overlaps with another subnet.",
    )
    other = await api.network(token="alice")
    await api.subnet(other, "10.0.0.0/24", token="alice")  # another network may overlap


async def test_slaac_needs_a_64(api: Neutron) -> None:
    net = await api.network(token="alice")
    body = {
        "network_id": net["id"], "cidr": "2001:db8::/80", "ip_version": 6,
        "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac",
    }  # fmt: skip
    resp = await api.call("POST", "/v2.0/subnets", {"subnet": body}, token="alice")
    status, kind, message = error_of(resp)
    assert (status, kind) == (400, "InvalidInput")
    assert "requires the prefix to be /64" in message


async def test_a_subnet_pool_carves_subnets_and_the_default_pool_is_used(api: Neutron) -> None:
    pool = await api.create(
        "subnetpool",
        name="default-v4",
        prefixes=["10.100.0.0/16"],
        default_prefixlen=26,
        is_default=True,
        shared=True,
    )
    assert (pool["min_prefixlen"], pool["max_prefixlen"], pool["ip_version"]) == (8, 32, 4)
    net = await api.network(token="alice")
    first = await api.create(
        "subnet", "alice", network_id=net["id"], ip_version=4, subnetpool_id=pool["id"]
    )
    assert first["cidr"] == "10.100.0.0/26" and first["subnetpool_id"] == pool["id"]
    second = await api.create(
        "subnet", "alice", network_id=net["id"], ip_version=4, use_default_subnetpool=True,
        prefixlen=28,
    )  # fmt: skip
    assert second["cidr"] == "10.100.0.64/28"
    taken = await api.call(
        "POST",
        "/v2.0/subnets",
        {
            "subnet": {
                "network_id": net["id"],
                "ip_version": 4,
                "subnetpool_id": pool["id"],
                "cidr": "10.100.0.0/24",
            }
        },
        token="alice",
    )
    assert error_of(taken)[:2] == (409, "SubnetAllocationError")
    in_use = await api.call("DELETE", f"/v2.0/subnetpools/{pool['id']}")
    assert error_of(in_use)[:2] == (400, "SubnetPoolDeleteError")
    second_default = await api.call(
        "POST",
        "/v2.0/subnetpools",
        {"subnetpool": {"name": "x", "prefixes": ["10.200.0.0/16"], "is_default": True}},
    )
    assert error_of(second_default)[:2] == (400, "InvalidInput")


async def test_update_pools_dns_and_gateway(api: Neutron) -> None:
    net = await api.network(token="alice")
    sub = await api.subnet(net, token="alice")
    path = f"/v2.0/subnets/{sub['id']}"
    body = {
        "subnet": {
            "allocation_pools": [{"start": "10.0.0.100", "end": "10.0.0.150"}],
            "dns_nameservers": ["9.9.9.9"],
            "gateway_ip": "10.0.0.254",
            "name": "renamed",
        }
    }
    updated = (await api.call("PUT", path, body, token="alice")).json()["subnet"]
    assert updated["allocation_pools"] == [{"start": "10.0.0.100", "end": "10.0.0.150"}]
    assert (updated["dns_nameservers"], updated["gateway_ip"]) == (["9.9.9.9"], "10.0.0.254")
    assert updated["revision_number"] == sub["revision_number"] + 1
    port = await api.port(net, token="alice")
    assert port["fixed_ips"][0]["ip_address"] == "10.0.0.100"
    cidr = await api.call("PUT", path, {"subnet": {"cidr": "10.0.1.0/24"}}, token="alice")
    assert error_of(cidr) == (400, "HTTPBadRequest", "Cannot update read-only attribute cidr")


async def test_a_subnet_in_use_cannot_be_deleted(api: Neutron) -> None:
    net = await api.network(token="alice")
    sub = await api.subnet(net, token="alice")
    port = await api.port(net, token="alice")
    path = f"/v2.0/subnets/{sub['id']}"
    assert error_of(await api.call("DELETE", path, token="alice")) == (
        409,
        "SubnetInUse",
        f"Unable to complete operation on subnet {sub['id']}: One or more ports have an IP "
        "allocation from this subnet.",
    )
    await api.call("DELETE", f"/v2.0/ports/{port['id']}", token="alice")
    await api.port(net, device_owner="network:dhcp")  # released with the subnet
    assert (await api.call("DELETE", path, token="alice")).status_code == 204
