"""The topology `nimbostack up` builds: public, the default pool, the demo's private network."""

from __future__ import annotations

from nimbostack.clients.identity import FixedAuth, Session
from nimbostack.clients.network import NetworkClient
from nimbostack.cmd import topology
from tests.functional.network.conftest import PROJECTS, Neutron


async def test_the_topology_is_built_once_and_left_alone_on_restart(api: Neutron) -> None:
    client = NetworkClient(FixedAuth(Session("admin")), api.client, base="http://neutron")
    for _ in range(2):
        await topology.build(client, PROJECTS["admin"], PROJECTS["alice"])
    [public] = await client.list_networks(name="public")
    assert public["router:external"] is True and public["project_id"] == PROJECTS["admin"]
    assert (public["provider:network_type"], public["provider:physical_network"]) == (
        "flat", "public",
    )  # fmt: skip
    [public_subnet] = await client.list_subnets(network_id=public["id"])
    assert (public_subnet["cidr"], public_subnet["gateway_ip"]) == ("172.24.4.0/24", "172.24.4.1")
    [pool] = await client.list_subnetpools(is_default=True)
    assert (pool["prefixes"], pool["default_prefixlen"], pool["shared"]) == (
        ["10.0.0.0/16"], 26, True,
    )  # fmt: skip
    [private] = await client.list_networks(name="private")
    assert private["project_id"] == PROJECTS["alice"]
    [private_subnet] = await client.list_subnets(network_id=private["id"])
    assert (private_subnet["cidr"], private_subnet["subnetpool_id"]) == ("10.0.0.0/26", pool["id"])
    # The demo project sees public and its own private network, and can use the pool.
    seen = (await api.call("GET", "/v2.0/networks", token="alice")).json()["networks"]
    assert sorted(n["name"] for n in seen) == ["private", "public"]
    mine = await api.call(
        "POST",
        "/v2.0/subnets",
        {
            "subnet": {
                "network_id": private["id"],
                "ip_version": 4,
                "use_default_subnetpool": True,
                "name": "more",
            }
        },
        token="alice",
    )
    assert mine.json()["subnet"]["cidr"] == "10.0.0.64/26"


async def test_the_demo_router_joins_private_to_public_once(api: Neutron) -> None:
    client = NetworkClient(FixedAuth(Session("admin")), api.client, base="http://neutron")
    for _ in range(2):
        await topology.build(client, PROJECTS["admin"], PROJECTS["alice"])
    [public] = await client.list_networks(name="public")
    [private_subnet] = await client.list_subnets(name="private-subnet")
    routers = (await api.call("GET", "/v2.0/routers", token="alice")).json()["routers"]
    [router] = routers
    assert router["name"] == "router1" and router["project_id"] == PROJECTS["alice"]
    gateway = router["external_gateway_info"]
    assert gateway["network_id"] == public["id"] and gateway["enable_snat"] is True
    [interface] = await client.list_ports(
        device_id=router["id"], device_owner="network:router_interface"
    )
    assert interface["fixed_ips"] == [
        {"subnet_id": private_subnet["id"], "ip_address": private_subnet["gateway_ip"]}
    ]
