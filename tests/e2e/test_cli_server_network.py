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
