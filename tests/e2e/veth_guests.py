"""Ports whose "guest" is a network namespace, beside a cloud's real QEMU guests.

A port is made through the unmodified CLI and bound to a host (``--host``); the host
end of a veth pair takes the port's tap name (``tap<port-id[:11]>``), as compute's tap
would, and the other end, in a namespace of its own, takes the port's MAC and fixed IP.
The host's L2 agent then wires it like any guest's tap (bridge, firewall, ACTIVE): from
the dataplane's side nothing tells it from a QEMU guest, and it answers in milliseconds.
Every namespace gets a random suffix; deleting it deletes the veth pair.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

from nimbostack.network.agent_messages import tap_name
from tests.support.cloud import Account, RunningCloud
from tests.support.firewall_host import PROBE


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check, timeout=60)


@dataclass
class VethGuest:
    """One port and the namespace standing in for its guest."""

    port: dict[str, Any]
    ns: str
    netns_of_tap: str | None = None  # None: the tap is in this machine's namespace

    @property
    def ip(self) -> str:
        return str(self.port["fixed_ips"][0]["ip_address"])

    @property
    def mac(self) -> str:
        return str(self.port["mac_address"])

    @property
    def tap(self) -> str:
        return tap_name(self.port["id"])

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", self.ns, *args, check=check)

    def ping(self, ip: str, timeout: float = 1.0) -> bool:
        """One echo request (a new ICMP identifier each time: a new flow)."""
        ident = str(random.randrange(1, 0xFFFF))
        return self.run(sys.executable, PROBE, "ping", ip, ident, str(timeout)).returncode == 0

    def remove(self) -> None:
        sh("ip", "netns", "del", self.ns, check=False)


def plug(
    cloud: RunningCloud,
    network: str,
    host: str,
    *options: str,
    account: Account | None = None,
    tap_netns: str | None = None,
) -> VethGuest:
    """A port on ``network`` bound to ``host``, its tap a veth whose peer is the guest.

    ``options`` go to `port create` (``--security-group``, ``--fixed-ip``...); the port is
    made by ``account`` (default admin) and bound by admin. ``tap_netns`` puts the tap in
    another namespace (a second host's)."""
    name = f"vg-{uuid.uuid4().hex[:8]}"
    port = cloud.cli("port", "create", "--network", network, *options, name, account=account)
    cloud.cli_raw("port", "set", "--host", host, port["id"])
    ns = f"dpv{uuid.uuid4().hex[:10]}"
    guest = VethGuest(port, ns, tap_netns)
    peer = f"vp{uuid.uuid4().hex[:10]}"
    sh("ip", "netns", "add", ns)
    try:
        inside = ("ip", "netns", "exec", tap_netns) if tap_netns else ()
        sh(*inside, "ip", "link", "add", guest.tap, "type", "veth", "peer", "name", peer)
        sh(*inside, "ip", "link", "set", peer, "netns", ns)
        guest.run("ip", "link", "set", peer, "name", "eth0", check=True)
        guest.run("ip", "link", "set", "eth0", "address", guest.mac, check=True)
        guest.run("ip", "addr", "add", f"{guest.ip}/24", "dev", "eth0", check=True)
        guest.run("ip", "link", "set", "eth0", "up", check=True)
        guest.run("ip", "link", "set", "lo", "up", check=True)
        wait_port(cloud, port["id"], "ACTIVE")
    except BaseException:
        guest.remove()
        raise
    return guest


def wait_port(cloud: RunningCloud, port_id: str, status: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    found = ""
    while time.monotonic() < deadline:
        found = cloud.cli("port", "show", port_id, "-c", "status")["status"]
        if found == status:
            return
        time.sleep(0.3)
    raise AssertionError(f"port {port_id} is {found}, not {status}: {cloud.log_tail()}")


def poll(probe: Any, timeout: float, what: str, interval: float = 0.05) -> float:
    """Call ``probe`` until it is true; the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if probe():
            return time.monotonic() - start
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s: {what}")
