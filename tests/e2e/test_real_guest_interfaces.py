"""A port hot-plugged into a running real guest (QEMU, TCG) shows up in it, then leaves.

What this proves: the attach path on a real host. Compute binds the port to the host,
makes its tap, adds the tap backend and a virtio NIC over QMP, the Linux-bridge agent
wires the tap and the attach answers once the port is ACTIVE; the guest's kernel sees
the NIC with the port's MAC. The detach unplugs it (the guest lets go of the device),
removes the tap and gives the port back to its owner.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from typing import Any

import pytest

from nimbostack.compute.network_info import tap_name
from tests.e2e.guest_support import qemu_cloud, wait_boots, wait_status
from tests.e2e.test_admin_password import serial
from tests.e2e.test_real_guest_volumes import _root_shell
from tests.e2e.test_real_guests_network import _server
from tests.support.cloud import RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli, pytest.mark.timeout(900)]
# Waits up to 30 s for the NIC with {mac} to come (or go), then says which it is.
HAS_NIC = (
    "for i in $(seq 30); do grep -qi {mac} /sys/class/net/*/address; "
    "[ $? -eq {want} ] && break; sleep 1; done; grep -qi {mac} /sys/class/net/*/address "
    '&& echo "NIC-$((40+2))-PRESENT" || echo "NIC-$((40+2))-ABSENT"\r'
)


def _nic(console: Any, at: int, mac: str, *, present: bool) -> str:
    console.type(HAS_NIC.format(mac=mac, want=0 if present else 1))
    done = console.wait_for(r"NIC-42-(PRESENT|ABSENT)", at, timeout=90)
    return "PRESENT" if "NIC-42-PRESENT" in console.text[at:done] else "ABSENT"


def _tap_exists(port_id: str) -> bool:
    found = subprocess.run(
        ["ip", "link", "show", tap_name(port_id)], check=False, capture_output=True
    )
    return found.returncode == 0


def _port(cloud: RunningCloud, port_id: str) -> dict[str, Any]:
    found: dict[str, Any] = cloud.cli("port", "show", port_id)
    return found


def test_a_port_is_hot_plugged_into_a_running_guest_and_unplugged() -> None:
    with qemu_cloud() as cloud:
        name = f"nic-{uuid.uuid4().hex[:6]}"
        net = cloud.cli("network", "create", name)
        cloud.cli("subnet", "create", "--network", name, "--subnet-range", "10.97.0.0/24", name)
        created = _server(cloud, name, net["id"])
        wait_status(cloud, name, "ACTIVE", timeout=300)
        wait_boots(cloud, name, 1)
        extra = cloud.cli("port", "create", "--network", name, f"{name}-extra")
        mac = extra["mac_address"]

        cloud.cli_raw("server", "add", "port", name, extra["id"])
        bound = _port(cloud, extra["id"])
        assert (bound["device_id"], bound["status"]) == (created["id"], "ACTIVE"), bound
        assert _tap_exists(extra["id"])
        with serial(cloud, created["id"]) as console:
            at = _root_shell(console, created["adminPass"])
            assert _nic(console, at, mac, present=True) == "PRESENT", console.text[-2000:]

            cloud.cli_raw("server", "remove", "port", name, extra["id"])
            deadline = time.monotonic() + 120
            while _port(cloud, extra["id"])["device_id"] and time.monotonic() < deadline:
                time.sleep(1)
            assert _port(cloud, extra["id"])["device_id"] == ""
            at = len(console.text)
            assert _nic(console, at, mac, present=False) == "ABSENT", console.text[-2000:]
        assert not _tap_exists(extra["id"])
        assert [p["ID"] for p in cloud.cli("port", "list", "--server", created["id"])] != [
            extra["id"]
        ]


def test_a_shelved_guest_s_port_is_unbound_then_bound_where_it_is_unshelved() -> None:
    with qemu_cloud() as cloud:
        name = f"shl-{uuid.uuid4().hex[:6]}"
        net = cloud.cli("network", "create", name)
        cloud.cli("subnet", "create", "--network", name, "--subnet-range", "10.96.0.0/24", name)
        created = _server(cloud, name, net["id"])
        wait_status(cloud, name, "ACTIVE", timeout=300)
        wait_boots(cloud, name, 1)
        (port,) = cloud.cli("port", "list", "--server", created["id"])
        cloud.cli_raw("server", "shelve", name)
        wait_status(cloud, name, "SHELVED_OFFLOADED", timeout=300)
        offloaded = _port(cloud, port["ID"])
        assert (offloaded["device_id"], offloaded["binding_host_id"]) == (created["id"], "")
        assert not _tap_exists(port["ID"])
        cloud.cli_raw("server", "unshelve", name)
        # ACTIVE only once the Linux-bridge agent wired the new tap (network-vif-plugged).
        wait_status(cloud, name, "ACTIVE", timeout=300)
        bound = _port(cloud, port["ID"])
        assert bound["binding_host_id"] and bound["status"] == "ACTIVE", bound
        again = wait_boots(cloud, name, 1)  # a new guest: its console starts afresh
        address = bound["fixed_ips"][0]["ip_address"]
        assert address in again.boots[-1]["ips"].split(","), again.boots[-1]
