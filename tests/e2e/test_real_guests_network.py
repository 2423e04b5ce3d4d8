"""Two real guests (QEMU, TCG) of one project on one network lease their addresses and ping.

What this proves: the whole path of a port on one host. Each guest's port binds to the
host, compute makes the guest's tap, the Linux-bridge agent puts both taps on the
network's bridge (with its ``vxlan-<vni>`` device) behind the nftables firewall, the DHCP
agent's dnsmasq in the network's namespace has their addresses, and only then do the
ports and servers go ACTIVE. Each guest's boot line shows the fixed IP it leased, and one
guest pings the other: the project's default security group admits its own members.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.guest_support import _rest, qemu_cloud, wait_boots, wait_status
from tests.e2e.test_admin_password import _image_id, serial
from tests.e2e.test_real_guest_volumes import _root_shell
from tests.support.cloud import RunningCloud

# Two TCG guests boot, log in and ping, then both are deleted: past the default limit.
pytestmark = [pytest.mark.e2e, pytest.mark.cli, pytest.mark.timeout(900)]
PING = (
    'ping -c 3 -W 3 {ip} >/dev/null 2>&1 && echo "PING-$((40+2))-OK" '
    '|| echo "PING-$((40+2))-FAIL"\r'
)


def _server(cloud: RunningCloud, name: str, network_id: str) -> dict[str, Any]:
    body = {
        "name": name,
        "imageRef": _image_id(cloud),
        "flavorRef": "42",
        "networks": [{"uuid": network_id}],
    }
    created: dict[str, Any] = _rest(cloud, "POST", "/servers", {"server": body})["server"]
    return created


def _fixed_ip(cloud: RunningCloud, server_id: str) -> str:
    ports = cloud.cli("port", "list", "--device-id", server_id, "--long")
    (port,) = ports
    assert port["Status"] == "ACTIVE", port
    return str(port["Fixed IP Addresses"][0]["ip_address"])


def test_two_guests_on_one_network_lease_their_addresses_and_ping_each_other() -> None:
    with qemu_cloud() as cloud:
        name = f"l2-{uuid.uuid4().hex[:6]}"
        net = cloud.cli("network", "create", name)
        cloud.cli("subnet", "create", "--network", name, "--subnet-range", "10.98.0.0/24", name)
        servers = {n: _server(cloud, n, net["id"]) for n in (f"{name}-a", f"{name}-b")}
        ips = {}
        for server_name, created in servers.items():
            wait_status(cloud, server_name, "ACTIVE", timeout=300)
            ips[server_name] = _fixed_ip(cloud, created["id"])
        for server_name in servers:
            (boot,) = wait_boots(cloud, server_name, 1).boots[:1]
            assert ips[server_name] in boot["ips"].split(","), boot  # leased from dnsmasq

        (first, second) = servers
        with serial(cloud, servers[first]["id"]) as console:
            at = _root_shell(console, servers[first]["adminPass"])
            console.type(PING.format(ip=ips[second]))
            done = console.wait_for(r"PING-42-(OK|FAIL)", at, timeout=120)
            assert "PING-42-OK" in console.text[at:done], console.text[-2000:]
