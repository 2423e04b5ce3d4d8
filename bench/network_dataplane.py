"""Benchmark: the dataplane of one host, with the real L2 and DHCP agents of `nimbostack up`.

Starts a cloud on the qemu driver (its Linux-bridge agent, nftables firewall and DHCP
agent wire real devices; no guest is booted) and measures, with veth "guests"
(``tests/e2e/veth_guests.py``: a port's tap is a veth into a namespace):

- port bind -> ACTIVE: as compute does, the REST update setting ``binding:host_id``,
  then the tap made; the time from the update to the port reading ACTIVE (polled every
  10 ms), which covers binding, the agent finding the tap (it polls every 0.3 s), its
  wiring and firewall, and the DHCP block;
- TCP throughput between two veth guests through the bridge and the firewall (one
  security group admitting TCP), against a bare veth pair between two namespaces in the
  same run. The pump is Python (64 KiB writes for 3 s), so both figures are bounded by
  it: compare them, not with iperf.

Needs root, ``ip``, ``nft``, dnsmasq and QEMU's tools (the cloud's checks).
Usage: .venv/bin/python -m bench.network_dataplane [--ports 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx

from nimbostack.network.agent_messages import tap_name
from tests.e2e import guest_support as gs
from tests.e2e.veth_guests import VethGuest, plug, sh
from tests.support.cloud import RunningCloud

PUMP = """
import socket, sys, time
role, addr = sys.argv[1], sys.argv[2]
if role == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 5201)); s.listen(1); print("ready", flush=True)
    c, _ = s.accept(); total = 0
    while data := c.recv(1 << 16): total += len(data)
    print(total, flush=True)
else:
    c = socket.create_connection((addr, 5201)); chunk = b"x" * (1 << 16)
    end = time.monotonic() + 3.0; start = time.monotonic(); sent = 0
    while time.monotonic() < end: c.sendall(chunk); sent += len(chunk)
    c.close(); print(sent / (time.monotonic() - start), flush=True)
"""


def _rest(cloud: RunningCloud, method: str, path: str, body: Any = None) -> Any:
    url = f"{cloud.url('network')}/v2.0{path}"
    resp = httpx.request(
        method, url, headers={"X-Auth-Token": cloud.admin_token()}, json=body, timeout=30
    )
    assert resp.status_code < 300, resp.text
    return resp.json() if resp.content else None


def bind_to_active(cloud: RunningCloud, net_id: str, host: str) -> float:
    """Seconds from setting the host of a port whose tap exists to the port ACTIVE."""
    port = _rest(cloud, "POST", "/ports", {"port": {"network_id": net_id}})["port"]
    ns, peer, tap = f"bn{uuid.uuid4().hex[:10]}", f"bp{uuid.uuid4().hex[:10]}", tap_name(port["id"])
    sh("ip", "netns", "add", ns)
    try:
        started = time.monotonic()
        _rest(cloud, "PUT", f"/ports/{port['id']}", {"port": {"binding:host_id": host}})
        sh("ip", "link", "add", tap, "type", "veth", "peer", "name", peer, "netns", ns)
        sh("ip", "-n", ns, "link", "set", peer, "up")
        while _rest(cloud, "GET", f"/ports/{port['id']}")["port"]["status"] != "ACTIVE":
            if time.monotonic() - started > 30:
                found = _rest(cloud, "GET", f"/ports/{port['id']}")["port"]
                log = (cloud.data_dir / "up.log").read_text(errors="replace").splitlines()
                said = "\n".join(ln for ln in log if "WARN" in ln or "ERROR" in ln or "rror" in ln)
                raise RuntimeError(f"port not ACTIVE in 30 s: {found['status']}\n{said[-3000:]}")
            time.sleep(0.01)
        return time.monotonic() - started
    finally:
        sh("ip", "netns", "del", ns, check=False)
        _rest(cloud, "DELETE", f"/ports/{port['id']}")


def pump(server_ns: str, client_ns: str, address: str) -> float:
    """Bytes per second one TCP connection carries from client_ns to server_ns."""
    server = subprocess.Popen(
        ["ip", "netns", "exec", server_ns, sys.executable, "-c", PUMP, "server", address],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    client = sh("ip", "netns", "exec", client_ns, sys.executable, "-c", PUMP, "client", address)
    server.wait(timeout=30)
    return float(client.stdout.strip())


def bare_pair() -> float:
    a, b = f"ba{uuid.uuid4().hex[:8]}", f"bb{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", a)
    sh("ip", "netns", "add", b)
    try:
        sh("ip", "-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", b)  # fmt: skip
        for ns, ip in ((a, "10.250.0.1/24"), (b, "10.250.0.2/24")):
            sh("ip", "-n", ns, "addr", "add", ip, "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "mtu", "1450", "up")
        return pump(b, a, "10.250.0.2")
    finally:
        sh("ip", "netns", "del", a, check=False)
        sh("ip", "netns", "del", b, check=False)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=20)
    args = parser.parse_args()
    tag = uuid.uuid4().hex[:6]
    host = f"bench{tag}"
    vni = random.randint(100_000, 16_000_000)
    env = {
        "NIMBOSTACK_COMPUTE_AGENT__HOST": host,
        "NIMBOSTACK_NETWORK_L2__FIREWALL_TABLE": f"nsg-{tag}",
        "NIMBOSTACK_ML2_TYPE_VXLAN__VNI_RANGES": f"{vni}:{vni + 9}",
        "NIMBOSTACK_NETWORK__BOOTSTRAP_TOPOLOGY": "false",
    }
    guests: list[VethGuest] = []
    with gs.qemu_cloud(env) as cloud:
        try:
            net = cloud.cli("network", "create", f"bench-{tag}")
            cloud.cli("subnet", "create", "--network", net["id"], "--subnet-range",
                      "10.251.0.0/24", f"bench-{tag}")  # fmt: skip
            bind_to_active(cloud, net["id"], host)  # warm-up: the network's devices made
            times = [bind_to_active(cloud, net["id"], host) for _ in range(args.ports)]
            group = cloud.cli("security", "group", "create", f"tcp-{tag}")["id"]
            cloud.cli("security", "group", "rule", "create", "--ingress", "--protocol", "tcp",
                      group)  # fmt: skip
            guests = [plug(cloud, net["id"], host, "--security-group", group) for _ in "ab"]
            bridged = pump(guests[1].ns, guests[0].ns, guests[1].ip)
            bare = bare_pair()
        finally:
            for guest in guests:
                guest.remove()
    ms = [t * 1000 for t in times]
    print(f"| port bind -> ACTIVE ({args.ports} ports) | {statistics.median(ms):.0f} ms "
          f"| {_pct(ms, 0.95):.0f} ms | {max(ms):.0f} ms |")  # fmt: skip
    print(f"| TCP, veth guests through bridge + firewall | {bridged * 8 / 1e9:.2f} Gbit/s |")
    print(f"| TCP, bare veth pair (same run) | {bare * 8 / 1e9:.2f} Gbit/s |")


if __name__ == "__main__":
    main()
