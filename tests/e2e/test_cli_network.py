"""The unmodified `openstack` CLI and openstacksdk against networking in `nimbostack up`."""

from __future__ import annotations

import time
import uuid
from typing import Any

import openstack
import pytest

from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]


@pytest.fixture(scope="module")
def topology(cloud: RunningCloud) -> dict[str, Any]:
    """The networks `up` makes in the background: wait for them (with a deadline)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        names = {n["Name"]: n for n in cloud.cli("network", "list")}
        if {"public", "private"} <= set(names):
            return names
        time.sleep(0.5)
    raise AssertionError(f"the topology was not built: {cloud.log_tail()}")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_up_builds_public_private_and_the_default_pool(
    cloud: RunningCloud, topology: dict[str, Any]
) -> None:
    public = cloud.cli("network", "show", "public")
    assert public["router:external"] is True and public["provider:network_type"] == "flat"
    [subnet] = cloud.cli("subnet", "list", "--network", "public")
    assert subnet["Subnet"] == "172.24.4.0/24"
    pool = cloud.cli("subnet", "pool", "show", "shared-default-subnetpool-v4")
    assert pool["is_default"] is True and pool["prefixes"] == ["10.0.0.0/16"]
    private = cloud.cli("network", "show", "private", cloud="nimbostack-demo")
    assert private["subnets"], "the demo's private network has its subnet"
    ranges = [s["Subnet"] for s in cloud.cli("subnet", "list", cloud="nimbostack-demo")]
    assert "10.0.0.0/26" in ranges


def test_network_lifecycle(cloud: RunningCloud, topology: dict[str, Any]) -> None:
    name = _unique("cli-net")
    made = cloud.cli("network", "create", "--description", "first", name)
    assert (made["name"], made["mtu"], made["status"]) == (name, 1450, "ACTIVE")
    cloud.cli_raw("network", "set", "--name", f"{name}-2", "--mtu", "1400", "--tag", "blue", name)
    shown = cloud.cli("network", "show", f"{name}-2")
    assert (shown["mtu"], shown["tags"]) == (1400, ["blue"])
    tagged = cloud.cli("network", "list", "--tags", "blue")
    assert [n["Name"] for n in tagged] == [f"{name}-2"]
    cloud.cli_raw("network", "unset", "--tag", "blue", f"{name}-2")
    assert cloud.cli("network", "show", f"{name}-2")["tags"] == []
    external = cloud.cli("network", "list", "--external")
    assert [n["Name"] for n in external] == ["public"]
    cloud.cli_raw("network", "delete", f"{name}-2")
    assert cloud.cli_raw("network", "show", f"{name}-2", check=False).returncode != 0


def test_subnet_and_port_lifecycle(cloud: RunningCloud, topology: dict[str, Any]) -> None:
    net, sub, port = _unique("net"), _unique("sub"), _unique("port")
    cloud.cli("network", "create", net)
    made = cloud.cli(
        "subnet", "create", "--network", net, "--subnet-range", "10.50.0.0/24",
        "--dns-nameserver", "8.8.8.8", sub,
    )  # fmt: skip
    assert (made["gateway_ip"], made["dns_nameservers"]) == ("10.50.0.1", ["8.8.8.8"])
    cloud.cli_raw("subnet", "set", "--no-dns-nameservers", "--name", f"{sub}-2", sub)
    assert cloud.cli("subnet", "show", f"{sub}-2")["dns_nameservers"] == []
    cloud.cli_raw("subnet", "set", "--tag", "lab", f"{sub}-2")
    cloud.cli_raw("subnet", "unset", "--tag", "lab", f"{sub}-2")
    assert cloud.cli("subnet", "show", f"{sub}-2")["tags"] == []
    assert [s["Name"] for s in cloud.cli("subnet", "list", "--network", net)] == [f"{sub}-2"]
    fixed = f"subnet={sub}-2,ip-address=10.50.0.9"
    created = cloud.cli("port", "create", "--network", net, "--fixed-ip", fixed, port)
    assert created["fixed_ips"][0]["ip_address"] == "10.50.0.9"
    assert created["status"] == "DOWN"
    cloud.cli_raw("port", "set", "--name", f"{port}-2", "--description", "mine", port)
    [listed] = cloud.cli("port", "list", "--fixed-ip", "ip-address=10.50.0.9")
    assert listed["Name"] == f"{port}-2"
    assert [p["Name"] for p in cloud.cli("port", "list", "--network", net)] == [f"{port}-2"]
    cloud.cli_raw(
        "port", "unset", "--security-group", created["security_group_ids"][0], f"{port}-2"
    )
    assert cloud.cli("port", "show", f"{port}-2")["security_group_ids"] == []
    in_use = cloud.cli_raw("subnet", "delete", f"{sub}-2", check=False)
    assert in_use.returncode != 0
    cloud.cli_raw("port", "delete", f"{port}-2")
    cloud.cli_raw("subnet", "delete", f"{sub}-2")
    cloud.cli_raw("network", "delete", net)


def test_security_groups_and_rules(cloud: RunningCloud, topology: dict[str, Any]) -> None:
    name = _unique("sg")
    made = cloud.cli("security", "group", "create", "--description", "web", name)
    assert made["name"] == name and len(made["rules"]) == 2
    rule = cloud.cli(
        "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", name
    )
    assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == ("tcp", 22, 22)
    twice = cloud.cli_raw(
        "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", name,
        check=False,
    )  # fmt: skip
    assert twice.returncode != 0 and "already exists" in twice.stderr
    rules = cloud.cli("security", "group", "rule", "list", name)
    assert len(rules) == 3
    assert cloud.cli("security", "group", "rule", "show", rule["id"])["id"] == rule["id"]
    cloud.cli_raw("security", "group", "set", "--description", "web tier", name)
    assert cloud.cli("security", "group", "show", name)["description"] == "web tier"
    cloud.cli_raw("security", "group", "rule", "delete", rule["id"])
    cloud.cli_raw("security", "group", "delete", name)
    demo_groups = cloud.cli("security", "group", "list", cloud="nimbostack-demo")
    assert [g["Name"] for g in demo_groups] == ["default"]


def test_subnet_pools_rbac_and_ip_availability(
    cloud: RunningCloud, topology: dict[str, Any]
) -> None:
    pool, net = _unique("pool"), _unique("shared-net")
    made = cloud.cli(
        "subnet", "pool", "create", "--pool-prefix", "10.60.0.0/16",
        "--default-prefix-length", "24", pool,
    )  # fmt: skip
    assert made["default_prefixlen"] == 24
    cloud.cli_raw("subnet", "pool", "set", "--description", "lab", pool)
    assert cloud.cli("subnet", "pool", "show", pool)["description"] == "lab"
    assert pool in [p["Name"] for p in cloud.cli("subnet", "pool", "list")]
    cloud.cli("network", "create", net)
    carved = cloud.cli("subnet", "create", "--network", net, "--subnet-pool", pool, _unique("s"))
    assert carved["cidr"] == "10.60.0.0/24"
    demo = cloud.cli("project", "show", "demo")["id"]
    policy = cloud.cli(
        "network", "rbac", "create", "--type", "network", "--action", "access_as_shared",
        "--target-project", demo, net,
    )  # fmt: skip
    assert policy["target_project_id"] == demo
    seen = [n["Name"] for n in cloud.cli("network", "list", cloud="nimbostack-demo")]
    assert net in seen
    assert any(p["ID"] == policy["id"] for p in cloud.cli("network", "rbac", "list"))
    assert cloud.cli("network", "rbac", "show", policy["id"])["object_id"]
    admin = cloud.cli("project", "show", "admin")["id"]
    cloud.cli_raw("network", "rbac", "set", "--target-project", admin, policy["id"])
    assert cloud.cli("network", "rbac", "show", policy["id"])["target_project_id"] == admin
    cloud.cli_raw("network", "rbac", "delete", policy["id"])
    seen = [n["Name"] for n in cloud.cli("network", "list", cloud="nimbostack-demo")]
    assert net not in seen
    availability = cloud.cli("ip", "availability", "show", net)
    assert availability["network_name"] == net and availability["used_ips"] == 0
    assert any(a["Network Name"] == net for a in cloud.cli("ip", "availability", "list"))
    in_use = cloud.cli_raw("subnet", "pool", "delete", pool, check=False)
    assert in_use.returncode != 0
    cloud.cli_raw("network", "delete", net)
    cloud.cli_raw("subnet", "pool", "delete", pool)
    assert cloud.cli_raw("subnet", "pool", "show", pool, check=False).returncode != 0


def test_quotas_extensions_and_zones(cloud: RunningCloud, topology: dict[str, Any]) -> None:
    cloud.cli_raw("quota", "set", "--networks", "42", "--ports", "77", "demo")
    limits = {q["Resource"]: q["Limit"] for q in cloud.cli("quota", "show", "--network", "demo")}
    assert (limits["networks"], limits["ports"], limits["subnets"]) == (42, 77, 100)
    aliases = {e["Alias"] for e in cloud.cli("extension", "list", "--network")}
    assert {"security-group", "quotas", "rbac-policies", "binding", "availability_zone"} <= aliases
    assert cloud.cli("availability", "zone", "list", "--network") in ([], None)


def test_auto_allocated_topology(cloud: RunningCloud, topology: dict[str, Any]) -> None:
    """A project of its own, so that no other test sees its network."""
    project = cloud.cli("project", "create", _unique("auto"))["id"]
    auto = ("network", "auto", "allocated", "topology")
    # The check passes (the CLI shows no details of it) and makes nothing.
    cloud.cli_raw(*auto, "create", "--check-resources", "--project", project)
    assert cloud.cli("router", "list", "--project", project) == []
    made = cloud.cli(*auto, "create", "--project", project)
    network = cloud.cli("network", "show", made["id"])
    assert (network["name"], network["project_id"]) == ("auto_allocated_network", project)
    [subnet] = cloud.cli("subnet", "list", "--network", made["id"])
    assert subnet["Subnet"].startswith("10.0.")
    routers = cloud.cli("router", "list", "--project", project)
    assert [r["Name"] for r in routers] == ["auto_allocated_router"]
    assert cloud.cli(*auto, "create", "--project", project)["id"] == made["id"]
    cloud.cli_raw(*auto, "delete", "--project", project)
    assert cloud.cli("router", "list", "--project", project) == []
    assert cloud.cli_raw("network", "show", made["id"], check=False).returncode != 0
    cloud.cli_raw("project", "delete", project)


# openstacksdk warns about its own coming API changes (pending deprecations).
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_openstacksdk_pages_every_port_once(cloud: RunningCloud, topology: dict[str, Any]) -> None:
    demo = cloud.demo
    conn = openstack.connect(
        auth_url=cloud.auth_url,
        username=demo.user,
        password=demo.password,
        project_name=demo.project,
        user_domain_name="Default",
        project_domain_name="Default",
    )
    try:
        network = conn.network.find_network("private", ignore_missing=False)
        assert network is not None and network.name == "private"
        # The network already holds ports of its own (the demo router's interface).
        before = [p.id for p in conn.network.ports(network_id=network.id)]
        made = [conn.network.create_port(network_id=network.id, name=f"sdk-{n}") for n in range(7)]
        seen = [p.id for p in conn.network.ports(network_id=network.id, limit=2)]
        assert sorted(seen) == sorted([*before, *(p.id for p in made)])
        assert len(seen) == len(set(seen))
        for port in made:
            conn.network.delete_port(port)
    finally:
        conn.close()
