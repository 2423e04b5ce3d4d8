"""Version documents, extensions, availability zones, IP availability; every rule exists."""

from __future__ import annotations

import time
import uuid

from nimbostack.network import policies
from nimbostack.network.api import (
    access,
    networks,
    ports,
    security_groups,
    subnetpools,
    subnets,
    tags,
)
from nimbostack.network.api.routes import EXTENSIONS, TAGGABLE
from nimbostack.network.db.models import Agent
from tests.functional.network.conftest import Neutron, error_of

# Clients look some of these up by name ("Availability Zone"): they must be Neutron's.
NEUTRON_NAMES = {
    "agent": "agent",
    "availability_zone": "Availability Zone",
    "network_availability_zone": "Network Availability Zone",
    "security-group": "security-group",
    "quotas": "Quota management support",
    "quota_details": "Quota details management support",
    "rbac-policies": "RBAC Policies",
    "external-net": "Neutron external network",
    "provider": "Provider Network",
    "multi-provider": "Multi Provider Network",
    "binding": "Port Binding",
    "port-security": "Port Security",
    "allowed-address-pairs": "Allowed Address Pairs",
    "extra_dhcp_opt": "Neutron Extra DHCP options",
    "net-mtu": "Network MTU",
    "dns-integration": "DNS Integration",
    "subnet_allocation": "Subnet Allocation",
    "default-subnetpools": "Default Subnetpools",
    "network-ip-availability": "Network IP Availability",
    "standard-attr-revisions": "Resource revision numbers",
    "standard-attr-timestamp": "Resource timestamps",
    "filter-validation": "Filter parameters validation",
    "ip-substring-filtering": "IP address substring filtering",
    "pagination": "Pagination support",
    "sorting": "Sorting support",
    "router": "Neutron L3 Router",
    "ext-gw-mode": "Neutron L3 Configurable external gateway mode",
    "extraroute": "Neutron Extra Route",
    "extraroute-atomic": "Atomically add/remove extra routes",
    "router_availability_zone": "Router Availability Zone",
    "fip-port-details": "Floating IP Port Details Extension",
    "floatingip-pools": "Floating IP Pools Extension",
}


async def test_version_documents(api: Neutron) -> None:
    root = await api.call("GET", "/", token=None)
    assert root.json() == {
        "versions": [
            {
                "id": "v2.0",
                "status": "CURRENT",
                "links": [{"href": "http://neutron/v2.0/", "rel": "self"}],
            }
        ]
    }
    v2 = (await api.call("GET", "/v2.0/")).json()["resources"]
    assert {r["collection"] for r in v2} == {"networks", "subnets", "subnetpools", "ports"}
    assert (await api.call("GET", "/v2.0/networks", token=None)).status_code == 401


async def test_extensions_have_neutron_s_names(api: Neutron) -> None:
    listed = (await api.call("GET", "/v2.0/extensions")).json()["extensions"]
    names = {e["alias"]: e["name"] for e in listed}
    for alias, name in NEUTRON_NAMES.items():
        assert names.get(alias) == name, alias
    assert {"l3_agent_scheduler", "l3-ha", "dvr"}.isdisjoint(names), "not implemented yet"
    one = (await api.call("GET", "/v2.0/extensions/security-group")).json()["extension"]
    assert one["alias"] == "security-group" and one["links"] == []
    missing = await api.call("GET", "/v2.0/extensions/l3-ha")
    assert error_of(missing)[:2] == (404, "ExtensionNotFound")
    assert len(listed) == len(EXTENSIONS.all())


def test_every_rule_the_api_checks_is_registered() -> None:
    names = {rule.name for rule in policies.rules()}
    for body in (networks.NETWORK, subnets.SUBNET, ports.PORT, subnetpools.POOL,
                 security_groups.GROUP):  # fmt: skip
        assert f"create_{body.singular}" in names and f"get_{body.singular}" in names
        assert access.attribute_rules(body) <= names, body.singular
    assert {"get_network:segments", "get_port:binding:host_id"} <= names
    for taggable in TAGGABLE:
        assert tags.rules(taggable) <= names, taggable.singular


async def test_availability_zones_come_from_agents(api: Neutron) -> None:
    assert (await api.call("GET", "/v2.0/availability_zones", token="alice")).json() == {
        "availability_zones": []
    }
    now = time.time()
    async with api.state.db.session() as s:
        for agent_type, zone, up in (("DHCP agent", "nova", True), ("L3 agent", "az2", False)):
            s.add(
                Agent(
                    id=str(uuid.uuid4()), agent_type=agent_type, binary="b", topic="t",
                    host=f"host-{zone}", availability_zone=zone, admin_state_up=up,
                    created_at=now, started_at=now, heartbeat_timestamp=now, configurations={},
                )
            )  # fmt: skip
    zones = (await api.call("GET", "/v2.0/availability_zones", token="alice")).json()
    assert zones["availability_zones"] == [
        {"name": "az2", "resource": "router", "state": "unavailable"},
        {"name": "nova", "resource": "network", "state": "available"},
    ]
    only = await api.call(
        "GET", "/v2.0/availability_zones", token="alice", params={"resource": "network"}
    )
    assert [z["name"] for z in only.json()["availability_zones"]] == ["nova"]
    net = await api.network(token="alice", availability_zone_hints=["nova"])
    assert net["availability_zone_hints"] == ["nova"]
    unknown = await api.call(
        "POST", "/v2.0/networks", {"network": {"availability_zone_hints": ["az9"]}}, token="alice"
    )
    assert error_of(unknown)[:2] == (404, "AvailabilityZoneNotFound")


async def test_network_ip_availability(api: Neutron) -> None:
    net = await api.network(token="alice", name="counted")
    sub4 = await api.subnet(net, "10.0.0.0/28", token="alice")
    await api.subnet(net, "2001:db8::/64", token="alice")
    for _ in range(3):
        await api.port(net, token="alice")
    found = (await api.call("GET", f"/v2.0/network-ip-availabilities/{net['id']}")).json()
    availability = found["network_ip_availability"]
    assert availability["network_name"] == "counted"
    [v4] = [s for s in availability["subnet_ip_availability"] if s["ip_version"] == 4]
    assert (v4["subnet_id"], v4["total_ips"], v4["used_ips"]) == (sub4["id"], 13, 3)
    assert availability["used_ips"] == 6
    filtered = await api.call("GET", "/v2.0/network-ip-availabilities", params={"ip_version": "4"})
    assert [n["network_id"] for n in filtered.json()["network_ip_availabilities"]] == [net["id"]]
    refused = await api.call("GET", "/v2.0/network-ip-availabilities", token="alice")
    assert error_of(refused)[:2] == (403, "PolicyNotAuthorized")
