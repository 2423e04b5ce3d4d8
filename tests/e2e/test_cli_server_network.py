"""The unmodified `openstack` CLI boots a server on the demo's private network and deletes it.

`nimbostack up` runs the fake L2 agent for its compute host, so the server's port binds,
goes ACTIVE and compute hears ``network-vif-plugged`` before the server is ACTIVE.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
DEMO = "nimbostack-demo"


@pytest.fixture(scope="module")
def private(cloud: RunningCloud) -> dict[str, Any]:
    """The demo's private network, which `up` makes in the background (with a deadline)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = [n for n in cloud.cli("network", "list", cloud=DEMO) if n["Name"] == "private"]
        if found and found[0]["Subnets"]:
            shown: dict[str, Any] = cloud.cli("network", "show", "private", cloud=DEMO)
            return shown
        time.sleep(0.5)
    raise AssertionError(f"the private network was not built: {cloud.log_tail()}")


def _ports(cloud: RunningCloud, server_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cloud.cli("port", "list", "--device-id", server_id, cloud=DEMO)
    return found


def test_server_on_private_gets_an_address_and_delete_removes_its_port(
    cloud: RunningCloud, private: dict[str, Any]
) -> None:
    made = cloud.cli(
        "server", "create", "--image", "nimbo-guest", "--flavor", "m1.nano",
        "--network", "private", "--wait", "net-vm", cloud=DEMO,
    )  # fmt: skip
    assert made["status"] == "ACTIVE", made
    shown = cloud.cli("server", "show", made["id"], cloud=DEMO)
    [address] = shown["addresses"]["private"]
    [subnet] = cloud.cli("subnet", "list", "--network", "private", cloud=DEMO)
    assert address.startswith("10.0.0."), shown["addresses"]
    assert subnet["Subnet"] == "10.0.0.0/26"
    [port] = _ports(cloud, made["id"])
    assert port["Status"] == "ACTIVE"
    assert port["Fixed IP Addresses"][0]["ip_address"] == address
    cloud.cli_raw("server", "delete", "--wait", made["id"], cloud=DEMO)
    assert _ports(cloud, made["id"]) == []


def _wait_for(check: Any, what: str, seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen in {seconds:g} s")


def _on_server(cloud: RunningCloud, server_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = cloud.cli("port", "list", "--server", server_id, cloud=DEMO)
    return found


def test_cli_adds_and_removes_networks_ports_and_security_groups(
    cloud: RunningCloud, private: dict[str, Any]
) -> None:
    made = cloud.cli(
        "server", "create", "--image", "nimbo-guest", "--flavor", "m1.nano",
        "--network", "private", "--wait", "nics-vm", cloud=DEMO,
    )  # fmt: skip
    server = made["id"]
    extra = cloud.cli("network", "create", "extra-net", cloud=DEMO)
    cloud.cli(
        "subnet", "create", "--network", extra["id"], "--subnet-range", "10.9.0.0/24",
        "extra-subnet", cloud=DEMO,
    )  # fmt: skip
    # A network: compute makes the port, binds and plugs it before answering.
    cloud.cli_raw("server", "add", "network", server, "extra-net", cloud=DEMO)
    ports = _on_server(cloud, server)
    assert len(ports) == 2 and all(p["Status"] == "ACTIVE" for p in ports), ports
    shown = cloud.cli("server", "show", server, cloud=DEMO)
    assert set(shown["addresses"]) == {"private", "extra-net"}, shown["addresses"]
    cloud.cli_raw("server", "remove", "network", server, "extra-net", cloud=DEMO)
    _wait_for(lambda: len(_on_server(cloud, server)) == 1, "the network's port going")
    # A port of the user's: bound to the server, then given back.
    mine = cloud.cli("port", "create", "--network", "private", "mine", cloud=DEMO)
    cloud.cli_raw("server", "add", "port", server, "mine", cloud=DEMO)
    assert mine["id"] in [p["ID"] for p in _on_server(cloud, server)]
    cloud.cli_raw("server", "remove", "port", server, "mine", cloud=DEMO)
    _wait_for(
        lambda: cloud.cli("port", "show", "mine", cloud=DEMO)["device_id"] == "",
        "the port going back to its owner",
    )
    # Security groups go to (and leave) every port of the server.
    cloud.cli("security", "group", "create", "web", cloud=DEMO)
    cloud.cli_raw("server", "add", "security", "group", server, "web", cloud=DEMO)
    shown = cloud.cli("server", "show", server, cloud=DEMO)
    assert "web" in str(shown["security_groups"]), shown["security_groups"]
    cloud.cli_raw("server", "remove", "security", "group", server, "web", cloud=DEMO)
    shown = cloud.cli("server", "show", server, cloud=DEMO)
    assert "web" not in str(shown["security_groups"]), shown["security_groups"]
    cloud.cli_raw("server", "delete", "--wait", server, cloud=DEMO)
    cloud.cli_raw("port", "delete", "mine", cloud=DEMO)
    cloud.cli_raw("network", "delete", "extra-net", cloud=DEMO)
