"""Helpers of the real-guest end-to-end tests: a cloud on the qemu driver, driven by the CLI.

Guests are read through their serial console (`openstack console log show`): the guest
image prints a boot marker after its user-data ran, then a tick every two seconds
(nimbostack.guest_image.builder). Guests outlive `nimbostack up` by design, so the
clouds here delete their servers and then end any QEMU left under their data directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from nimbostack.guest_image.builder import parse_boot_marker, parse_tick_marker
from tests.support.cloud import RunningCloud
from tests.support.requires import require_tools

BOOT_TIMEOUT = 90.0
IMAGE = "nimbo-guest"
# Written on the persistent disk (/data) at the first boot; printed at every boot with the
# guest's memory, so a console tells which disk and which flavor the guest runs with.
PROOF_USER_DATA = (
    "#!/bin/sh\n"
    "[ -f /data/proof ] || echo hello-$(hostname) > /data/proof\n"
    "echo PROOF: $(cat /data/proof)\n"
    "echo MEMKB: $(awk '/MemTotal/ {print $2}' /proc/meminfo)\n"
)
_TOOLS = ("qemu-system-x86_64", "qemu-img", "genisoimage")


def require_qemu() -> None:
    require_tools(*_TOOLS, why="real guests run under QEMU")


@contextmanager
def qemu_cloud(
    extra_env: dict[str, str] | None = None, data_dir: Path | None = None
) -> Iterator[RunningCloud]:
    """`nimbostack up` with real guests, by default in a short temporary directory (QMP
    socket paths have a length limit)."""
    require_qemu()
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="nimbo-rg-"))
    env = {"NIMBOSTACK_COMPUTE_AGENT__DRIVER": "qemu", **(extra_env or {})}
    cloud = RunningCloud.start(data_dir, env)
    try:
        wait_guest_image(cloud)
        yield cloud
    finally:
        try:
            delete_all_servers(cloud)
        finally:
            cloud.stop()
            kill_guests(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)


def wait_guest_image(cloud: RunningCloud, timeout: float = 180.0) -> None:
    """`nimbostack up` registers the guest image in the background, after it is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = cloud.cli("image", "list", "--name", IMAGE, "--status", "active") or []
        if found:
            return
        time.sleep(1.0)
    raise AssertionError(f"the guest image never became active: {cloud.log_tail()}")


def delete_all_servers(cloud: RunningCloud, keep: tuple[str, ...] = ()) -> None:
    servers = cloud.cli("server", "list", "--all-projects") or []
    doomed = [s["ID"] for s in servers if s["ID"] not in keep and s["Name"] not in keep]
    if doomed:
        cloud.cli_raw("server", "delete", "--wait", *doomed, check=False)


def qemu_pids(pattern: str) -> list[int]:
    """Pids of the QEMU processes whose command line contains ``pattern`` (a uuid, a path)."""
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split() if int(pid) != os.getpid()]


def kill_guests(data_dir: Path) -> None:
    """End the QEMU processes these tests started (their paths are in the data dir), and
    the DHCP servers and metadata proxies of the cloud's networks (which outlive the
    cloud, as guests do, and keep their namespaces alive)."""
    patterns = [
        f"qemu-system-x86_64 .*{data_dir}",
        f"dnsmasq .*--pid-file={data_dir}/",
        f"haproxy -f {data_dir}/",
    ]
    for pid in [pid for pattern in patterns for pid in qemu_pids(pattern)]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    served = data_dir / "dhcp"
    for network in served.iterdir() if served.is_dir() else []:
        subprocess.run(["ip", "netns", "del", f"qdhcp-{network.name}"], check=False)


# ---------------------------------------------------------------- servers


def create(cloud: RunningCloud, name: str, *args: str, user_data: str | None = None) -> Any:
    """`server create --wait` of the guest image (m1.nano unless args say otherwise)."""
    extra = list(args)
    if "--image" not in extra:
        extra += ["--image", IMAGE]
    if "--flavor" not in extra:
        extra += ["--flavor", "m1.nano"]
    if user_data is not None:
        path = cloud.data_dir / f"user-data-{name}"
        path.write_text(user_data)
        extra += ["--user-data", str(path)]
    return cloud.cli("server", "create", *extra, "--nic", "none", "--wait", name)


def show(cloud: RunningCloud, name: str) -> Any:
    return cloud.cli("server", "show", name)


def _rest(cloud: RunningCloud, method: str, path: str, body: Any = None) -> Any:
    """Compute's REST API as admin: for polling, where a CLI run per poll costs a second."""
    headers = {"X-Auth-Token": cloud.admin_token(), "OpenStack-API-Version": "compute 2.96"}
    url = f"{cloud.url('compute')}/v2.1{path}"
    resp = httpx.request(method, url, headers=headers, json=body, timeout=60)
    assert resp.status_code < 300, resp.text
    return resp.json()


def wait_status(cloud: RunningCloud, name: str, status: str, timeout: float = 120.0) -> Any:
    """Poll over REST until the server has ``status``; returns `server show` then."""
    server = show(cloud, name)
    deadline = time.monotonic() + timeout
    while server["status"] != status and time.monotonic() < deadline:
        if server["status"] == "ERROR":
            raise AssertionError(f"{name} went ERROR: {server.get('fault')}")
        time.sleep(0.2)
        server = _rest(cloud, "GET", f"/servers/{server['id']}")["server"]
        if server["status"] == status:
            server = show(cloud, name)
    assert server["status"] == status, f"{name} is {server['status']}, not {status}"
    return server


def host_of(server: dict[str, Any]) -> str:
    return str(server["OS-EXT-SRV-ATTR:host"])


# ---------------------------------------------------------------- console


@dataclass
class Console:
    """What a guest printed: its boot markers, its ticks, and the whole text."""

    text: str
    boots: list[dict[str, str]] = field(default_factory=list)
    ticks: list[dict[str, str]] = field(default_factory=list)

    def lines(self, prefix: str) -> list[str]:
        return [ln.split(prefix, 1)[1].strip() for ln in self.text.splitlines() if prefix in ln]

    def last_tick(self) -> dict[str, str]:
        assert self.ticks, f"no tick on the console:\n{self.text[-1500:]}"
        return self.ticks[-1]


def console(cloud: RunningCloud, name: str) -> Console:
    """`openstack console log show`, parsed."""
    return parse_console(cloud.cli_raw("console", "log", "show", name).stdout)


def parse_console(text: str) -> Console:
    found = Console(text)
    for line in text.splitlines():
        if (boot := parse_boot_marker(line)) is not None:
            found.boots.append(boot)
        elif (tick := parse_tick_marker(line)) is not None:
            found.ticks.append(tick)
    return found


def wait_console(
    cloud: RunningCloud,
    name: str,
    predicate: Callable[[Console], bool],
    timeout: float = BOOT_TIMEOUT,
) -> Console:
    """Poll the console over REST until predicate holds; returns it as the CLI shows it."""
    deadline = time.monotonic() + timeout
    uuid = show(cloud, name)["id"]
    action: dict[str, Any] = {"os-getConsoleOutput": {}}
    text = ""
    while time.monotonic() < deadline:
        text = _rest(cloud, "POST", f"/servers/{uuid}/action", action)["output"]
        if predicate(parse_console(text)) and predicate(seen := console(cloud, name)):
            return seen
        time.sleep(0.3)
    raise AssertionError(f"console of {name} never matched; it ends with:\n{text[-2000:]}")


def wait_boots(cloud: RunningCloud, name: str, count: int) -> Console:
    return wait_console(cloud, name, lambda c: len(c.boots) >= count)


def wait_ticks(cloud: RunningCloud, name: str, count: int) -> Console:
    return wait_console(cloud, name, lambda c: len(c.ticks) >= count)


def uptime(marker: dict[str, str]) -> float:
    return float(marker["uptime"])


# ---------------------------------------------------------------- placement


def usage(cloud: RunningCloud, host: str) -> dict[str, int]:
    """Placement usage of the host's resource provider, by resource class."""
    (provider,) = cloud.cli("resource", "provider", "list", "--name", host)
    rows = cloud.cli("resource", "provider", "usage", "show", provider["uuid"])
    return {row["resource_class"]: int(row["usage"]) for row in rows}
