"""Two real guests (QEMU, TCG) of one project on one network reach each other at layer 2.

What this proves: the L2 path through the host. Each guest's port binds to the host,
compute makes the guest's tap, the Linux-bridge agent puts both taps on the network's
bridge (with its ``vxlan-<vni>`` device) and reports them up, so both servers go ACTIVE;
then one guest pings the other across that bridge. There is no DHCP yet, so root sets
each guest's fixed IP by hand on the serial console; security groups are not enforced
yet (no firewall), so nothing else stands between the two.
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
CIDR_PREFIX = 24
# The guest's NIC, found rather than named: its first device other than loopback.
SET_IP = (
    "N=$(ls /sys/class/net | grep -v '^lo$' | head -n 1); ip link set $N up; "
    'ip addr add {ip}/{prefix} dev $N; echo "ADDR-$((40+2))-$N"\r'
)
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


def test_two_guests_on_one_network_ping_each_other() -> None:
    with qemu_cloud({"NIMBOSTACK_NETWORK_L2__FIREWALL_DRIVER": "noop"}) as cloud:
        name = f"l2-{uuid.uuid4().hex[:6]}"
        net = cloud.cli("network", "create", name)
        cloud.cli("subnet", "create", "--network", name, "--subnet-range", "10.98.0.0/24", name)
        servers = {n: _server(cloud, n, net["id"]) for n in (f"{name}-a", f"{name}-b")}
        ips = {}
        for server_name, created in servers.items():
            wait_status(cloud, server_name, "ACTIVE", timeout=300)
            ips[server_name] = _fixed_ip(cloud, created["id"])
        for server_name in servers:
            wait_boots(cloud, server_name, 1)

        (first, second) = servers
        with serial(cloud, servers[second]["id"]) as console:
            at = _root_shell(console, servers[second]["adminPass"])
            console.type(SET_IP.format(ip=ips[second], prefix=CIDR_PREFIX))
            console.wait_for(r"ADDR-42-\w+", at)
        with serial(cloud, servers[first]["id"]) as console:
            at = _root_shell(console, servers[first]["adminPass"])
            console.type(SET_IP.format(ip=ips[first], prefix=CIDR_PREFIX))
            at = console.wait_for(r"ADDR-42-\w+", at)
            console.type(PING.format(ip=ips[second]))
            done = console.wait_for(r"PING-42-(OK|FAIL)", at, timeout=120)
            assert "PING-42-OK" in console.text[at:done], console.text[-2000:]
