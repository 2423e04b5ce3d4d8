"""The unmodified `openstack` CLI and openstacksdk with routers and floating IPs in `up`."""

from __future__ import annotations

import time
import uuid
from typing import Any

import openstack
import pytest

from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
DEMO = "nimbostack-demo"


@pytest.fixture(scope="module")
def router1(cloud: RunningCloud) -> dict[str, Any]:
    """The demo router `up` makes in the background: wait for it (with a deadline)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = [r for r in cloud.cli("router", "list", cloud=DEMO) if r["Name"] == "router1"]
        if found:
            shown: dict[str, Any] = cloud.cli("router", "show", "router1", cloud=DEMO)
            if shown["interfaces_info"]:
                return shown
        time.sleep(0.5)
    raise AssertionError(f"the demo router was not built: {cloud.log_tail()}")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_up_routes_private_to_public(cloud: RunningCloud, router1: dict[str, Any]) -> None:
    public = cloud.cli("network", "show", "public")
    gateway = router1["external_gateway_info"]
    assert gateway["network_id"] == public["id"] and gateway["enable_snat"] is True
    [interface] = router1["interfaces_info"]
    assert interface["ip_address"] == "10.0.0.1"


def test_router_lifecycle(cloud: RunningCloud, router1: dict[str, Any]) -> None:
    router, net, sub = _unique("r"), _unique("net"), _unique("sub")
    cloud.cli("network", "create", net, cloud=DEMO)
    cloud.cli(
        "subnet", "create", "--network", net, "--subnet-range", "10.60.0.0/24", sub, cloud=DEMO
    )  # fmt: skip
    made = cloud.cli("router", "create", "--description", "lab", router, cloud=DEMO)
    assert (made["status"], made["description"]) == ("ACTIVE", "lab")
    cloud.cli_raw("router", "set", "--external-gateway", "public", router, cloud=DEMO)
    shown = cloud.cli("router", "show", router, cloud=DEMO)
    [fixed] = shown["external_gateway_info"]["external_fixed_ips"]
    assert fixed["ip_address"].startswith("172.24.4.")
    cloud.cli_raw("router", "add", "subnet", router, sub, cloud=DEMO)
    shown = cloud.cli("router", "show", router, cloud=DEMO)
    assert [i["ip_address"] for i in shown["interfaces_info"]] == ["10.60.0.1"]
    refused = cloud.cli_raw("router", "delete", router, cloud=DEMO, check=False)
    assert refused.returncode != 0  # it still has an interface
    cloud.cli_raw("router", "remove", "subnet", router, sub, cloud=DEMO)
    cloud.cli_raw("router", "unset", "--external-gateway", router, cloud=DEMO)
    cloud.cli_raw("router", "delete", router, cloud=DEMO)
    assert cloud.cli_raw("router", "show", router, cloud=DEMO, check=False).returncode != 0
    cloud.cli_raw("network", "delete", net, cloud=DEMO)


def _active(cloud: RunningCloud, address: str) -> dict[str, Any]:
    """The floating IP once `up`'s L3 agent reported it ACTIVE (with a deadline)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        shown: dict[str, Any] = cloud.cli("floating", "ip", "show", address, cloud=DEMO)
        if shown["status"] == "ACTIVE":
            return shown
        time.sleep(0.5)
    raise AssertionError(f"floating IP {address} never went ACTIVE: {cloud.log_tail()}")


def test_floating_ip_lifecycle(cloud: RunningCloud, router1: dict[str, Any]) -> None:
    port = cloud.cli("port", "create", "--network", "private", _unique("fip-port"), cloud=DEMO)
    fip = cloud.cli("floating", "ip", "create", "--description", "web", "public", cloud=DEMO)
    assert fip["floating_ip_address"].startswith("172.24.4.") and fip["port_id"] is None
    address = fip["floating_ip_address"]
    cloud.cli_raw("floating", "ip", "set", "--port", port["id"], address, cloud=DEMO)
    shown = _active(cloud, address)
    assert shown["port_id"] == port["id"] and shown["router_id"] == router1["id"]
    assert shown["fixed_ip_address"] == port["fixed_ips"][0]["ip_address"]
    listed = cloud.cli("floating", "ip", "list", "--port", port["id"], cloud=DEMO)
    assert [f["Floating IP Address"] for f in listed] == [address]
    cloud.cli_raw("floating", "ip", "unset", "--port", address, cloud=DEMO)
    assert cloud.cli("floating", "ip", "show", address, cloud=DEMO)["port_id"] is None
    cloud.cli_raw("floating", "ip", "delete", address, cloud=DEMO)
    assert cloud.cli("floating", "ip", "list", "--port", port["id"], cloud=DEMO) == []
    cloud.cli_raw("port", "delete", port["id"], cloud=DEMO)


def test_server_add_floating_ip(cloud: RunningCloud, router1: dict[str, Any]) -> None:
    made = cloud.cli(
        "server", "create", "--image", "nimbo-guest", "--flavor", "m1.nano",
        "--network", "private", "--wait", _unique("fip-vm"), cloud=DEMO,
    )  # fmt: skip
    assert made["status"] == "ACTIVE", made
    fip = cloud.cli("floating", "ip", "create", "public", cloud=DEMO)
    address = fip["floating_ip_address"]
    cloud.cli_raw("server", "add", "floating", "ip", made["id"], address, cloud=DEMO)
    [port] = cloud.cli("port", "list", "--device-id", made["id"], cloud=DEMO)
    shown = cloud.cli("floating", "ip", "show", address, cloud=DEMO)
    assert shown["port_id"] == port["ID"]
    cloud.cli_raw("server", "remove", "floating", "ip", made["id"], address, cloud=DEMO)
    assert cloud.cli("floating", "ip", "show", address, cloud=DEMO)["port_id"] is None
    cloud.cli_raw("floating", "ip", "delete", address, cloud=DEMO)
    cloud.cli_raw("server", "delete", "--wait", made["id"], cloud=DEMO)


# openstacksdk warns about its own coming API changes (pending deprecations).
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_openstacksdk_pages_every_router_once(cloud: RunningCloud, router1: dict[str, Any]) -> None:
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
        before = [r.id for r in conn.network.routers()]
        assert router1["id"] in before
        made = [conn.network.create_router(name=f"sdk-r{n}") for n in range(5)]
        seen = [r.id for r in conn.network.routers(limit=2)]
        assert sorted(seen) == sorted([*before, *(r.id for r in made)])
        assert len(seen) == len(set(seen))
        for router in made:
            conn.network.delete_router(router)
    finally:
        conn.close()
