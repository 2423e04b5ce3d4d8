"""The unmodified `openstack` CLI against compute with the fake driver."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli]


@pytest.fixture(scope="module")
def compute(cloud: RunningCloud) -> str:
    """Compute's public endpoint, as the catalog lists it."""
    headers = {"X-Auth-Token": cloud.admin_token()}
    found = httpx.get(f"{cloud.auth_url}/services", headers=headers, params={"type": "compute"})
    assert found.json()["services"], "compute is missing from the catalog"
    return f"{cloud.url('compute')}/v2.1"


def _wait_status(cloud: RunningCloud, server: str, wanted: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    shown: Any = None
    while time.monotonic() < deadline:
        shown = cloud.cli("server", "show", server)
        if shown["status"] == wanted:
            return shown
        if shown["status"] == "ERROR":
            break
        time.sleep(0.3)
    raise AssertionError(f"{server} is {shown and shown['status']}, wanted {wanted}: {shown}")


def test_flavor_crud(cloud: RunningCloud, compute: str) -> None:
    made = cloud.cli("flavor", "create", "--ram", "256", "--vcpus", "1", "--disk", "1", "cli-f")
    assert made["ram"] == 256
    names = [f["Name"] for f in cloud.cli("flavor", "list")]
    assert {"m1.nano", "cli-f"} <= set(names)
    assert cloud.cli("flavor", "show", "cli-f")["vcpus"] == 1
    cloud.cli_raw("flavor", "delete", "cli-f")
    failed = cloud.cli_raw("flavor", "show", "cli-f", check=False)
    assert failed.returncode != 0


def test_keypair_create(cloud: RunningCloud, compute: str, tmp_path: Path) -> None:
    private = tmp_path / "cli-key.pem"
    made = cloud.cli("keypair", "create", "--private-key", str(private), "cli-key")
    assert made["name"] == "cli-key" and made["fingerprint"].count(":") == 15
    assert "PRIVATE KEY" in private.read_text()
    assert cloud.cli("keypair", "show", "cli-key")["name"] == "cli-key"
    cloud.cli_raw("keypair", "delete", "cli-key")


def test_server_lifecycle_and_actions(cloud: RunningCloud, compute: str) -> None:
    made = cloud.cli(
        "server", "create", "--image", "nimbo-guest", "--flavor", "m1.nano", "--nic", "none",
        "--wait", "cli-vm",
    )  # fmt: skip
    assert made["status"] == "ACTIVE"
    assert any(s["Name"] == "cli-vm" for s in cloud.cli("server", "list"))
    steps = [
        (("server", "pause"), "PAUSED"),
        (("server", "unpause"), "ACTIVE"),
        (("server", "suspend"), "SUSPENDED"),
        (("server", "resume"), "ACTIVE"),
        (("server", "stop"), "SHUTOFF"),
        (("server", "start"), "ACTIVE"),
        (("server", "reboot"), "ACTIVE"),
        (("server", "resize", "--flavor", "m1.micro"), "VERIFY_RESIZE"),
        (("server", "resize", "confirm"), "ACTIVE"),
        (("server", "resize", "--flavor", "m1.tiny"), "VERIFY_RESIZE"),
        (("server", "resize", "revert"), "ACTIVE"),
        (("server", "shelve"), "SHELVED_OFFLOADED"),
        (("server", "unshelve"), "ACTIVE"),
    ]
    for args, wanted in steps:
        cloud.cli_raw(*args, "cli-vm")
        _wait_status(cloud, "cli-vm", wanted)
    assert cloud.cli("server", "show", "cli-vm")["flavor"]["name"] == "m1.micro"
    events = {e["Action"] for e in cloud.cli("server", "event", "list", "cli-vm")}
    assert {"create", "pause", "stop", "resize", "shelve"} <= events
    cloud.cli_raw("server", "delete", "--wait", "cli-vm")
    assert not any(s["Name"] == "cli-vm" for s in cloud.cli("server", "list"))


def test_services_and_hypervisors(cloud: RunningCloud, compute: str) -> None:
    services = cloud.cli("compute", "service", "list")
    assert {"nova-compute", "nova-scheduler", "nova-conductor"} <= {s["Binary"] for s in services}
    assert all(s["State"] == "up" for s in services)
    hypervisors = cloud.cli("hypervisor", "list")
    assert hypervisors and hypervisors[0]["State"] == "up"
