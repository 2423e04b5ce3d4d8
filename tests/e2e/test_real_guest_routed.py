"""A real guest (QEMU, TCG) behind a router: metadata through it, reached by floating IP.

What this proves: the L3 agent's whole path with the unmodified CLI. The cloud has no
config drive, so the guest's identity and SSH key come from 169.254.169.254 through
its router (redirected to the router namespace's haproxy, identified by the router's
id). The host reaches the guest through a floating IP: it pings it and logs in over
SSH with the keypair; once the floating IP is removed, the guest is unreachable.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.guest_support import qemu_cloud, wait_boots, wait_status
from tests.support.cloud import RunningCloud
from tests.support.requires import require_tools

pytestmark = [pytest.mark.e2e, pytest.mark.cli, pytest.mark.timeout(900)]


def _ping(address: str) -> bool:
    argv = ["busybox", "ping", "-c", "1", "-W", "2", address]
    return subprocess.run(argv, capture_output=True, check=False).returncode == 0


def _ssh(key: Path, address: str, command: str) -> subprocess.CompletedProcess[str]:
    argv = ["ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no"]
    argv += ["-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5", "-o", "BatchMode=yes"]
    return subprocess.run(
        [*argv, f"root@{address}", command], capture_output=True, text=True, check=False
    )


def _until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(1.0)


def _routed_network(cloud: RunningCloud, name: str) -> None:
    cloud.cli("network", "create", name)
    cloud.cli("subnet", "create", "--network", name, "--subnet-range", "10.97.0.0/24", name)
    cloud.cli("router", "create", name)
    cloud.cli_raw("router", "set", "--external-gateway", "public", name)
    cloud.cli_raw("router", "add", "subnet", name, name)
    groups = cloud.cli("security", "group", "list", "--project", "admin")
    [default] = [g["ID"] for g in groups if g["Name"] == "default"]
    cloud.cli("security", "group", "rule", "create", "--protocol", "icmp", default)
    cloud.cli(
        "security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", default
    )


def test_a_routed_guest_reads_metadata_and_is_reached_through_its_floating_ip(
    tmp_path: Path,
) -> None:
    require_tools("ssh", "ssh-keygen", "busybox", why="reaching the guest from the host")
    key = tmp_path / "key"
    keygen = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)]
    subprocess.run(keygen, check=True)
    env = {"NIMBOSTACK_COMPUTE__FORCE_CONFIG_DRIVE": "false"}
    with qemu_cloud(extra_env=env) as cloud:
        name = f"l3-{uuid.uuid4().hex[:6]}"
        _routed_network(cloud, name)
        cloud.cli("keypair", "create", "--public-key", f"{key}.pub", name)
        args = ["--image", "nimbo-guest", "--flavor", "42", "--network", name]
        args += ["--key-name", name]
        cloud.cli("server", "create", *args, name)
        wait_status(cloud, name, "ACTIVE", timeout=300)

        # No config drive: the guest read its metadata through the router.
        seen = wait_boots(cloud, name, 1)
        assert "metadata read from http://169.254.169.254" in seen.text, seen.text[-2000:]
        assert seen.boots[0]["hostname"] == name, seen.boots[0]

        fip = cloud.cli("floating", "ip", "create", "public")
        address = fip["floating_ip_address"]
        cloud.cli_raw("server", "add", "floating", "ip", name, address)
        _until(
            lambda: cloud.cli("floating", "ip", "show", address)["status"] == "ACTIVE",
            60,
            "floating IP ACTIVE",
        )
        _until(lambda: _ping(address), 60, f"{address} answers pings")
        _until(lambda: _ssh(key, address, "true").returncode == 0, 120, "SSH login")
        done = _ssh(key, address, "hostname")
        assert done.stdout.strip() == name, done

        cloud.cli_raw("server", "remove", "floating", "ip", name, address)
        _until(lambda: not _ping(address), 30, f"{address} silent once removed")
        assert _ssh(key, address, "true").returncode != 0
