"""The unmodified `openstack` CLI against compute with the fake driver.

When `nimbostack up` does not run compute yet, the fixture starts it beside the cloud
(tests/e2e/compute_serve.py) and adds its endpoint to the catalog.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cloud import RunningCloud, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
SERVE = Path(__file__).with_name("compute_serve.py")


def _catalog_has_compute(cloud: RunningCloud) -> bool:
    headers = {"X-Auth-Token": cloud.admin_token()}
    found = httpx.get(f"{cloud.auth_url}/services", headers=headers, params={"type": "compute"})
    return bool(found.json()["services"])


def _register(cloud: RunningCloud, url: str) -> None:
    headers = {"X-Auth-Token": cloud.admin_token()}
    made = httpx.post(
        f"{cloud.auth_url}/services",
        headers=headers,
        json={"service": {"type": "compute", "name": "nova", "enabled": True}},
    )
    assert made.status_code == 201, made.text
    for interface in ("public", "internal", "admin"):
        body = {"service_id": made.json()["service"]["id"], "interface": interface,
                "url": url, "region_id": "RegionOne"}  # fmt: skip
        resp = httpx.post(f"{cloud.auth_url}/endpoints", headers=headers, json={"endpoint": body})
        assert resp.status_code == 201, resp.text


@pytest.fixture(scope="module")
def compute(cloud: RunningCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if _catalog_has_compute(cloud):
        yield cloud.url("compute")
        return
    own = tmp_path_factory.mktemp("compute")
    port = free_port()
    env = dict(cloud.env)
    env.update(
        NIMBOSTACK_COMPUTE__PORT=str(port),
        NIMBOSTACK_COMPUTE__METADATA_PORT=str(free_port()),
        NIMBOSTACK_COMPUTE_AGENT__DRIVER="fake",
        NIMBOSTACK_COMPUTE_AGENT__REPORT_INTERVAL="1",
    )
    log = (own / "compute.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(SERVE), str(cloud.data_dir), str(own)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (own / "compute-ready").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((own / "compute.log").read_text())
        time.sleep(0.1)
    url = f"http://127.0.0.1:{port}/v2.1"
    _register(cloud, url)
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
