"""The dataplane of one host with a real guest: security groups, isolation, anti-spoofing,
and nothing left behind.

One cloud for the module (`nimbostack up`, QEMU under TCG) with one real guest, ``g1``,
on project A's network 10.1.0.0/24. Its peers are "veth guests" (``veth_guests.py``):
ports bound to the same host whose tap is a veth into a namespace, which the L2 agent,
the firewall and DHCP treat exactly as a QEMU guest's tap. They stand in wherever the
point is what the host's dataplane lets through, not what a guest does; each test says
which are real. The cloud has a host name, a VNI range and a firewall table of its own,
so other clouds on this machine neither see nor touch its devices. (A firewall older than
the per-bridge dispatch in another cloud on the machine filters this cloud's ports too;
running the module under `ip netns exec` with `[network_l2] local_ip` set keeps it apart.)
"""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from nimbostack.core import netdev
from nimbostack.network.agent_messages import bridge_name
from nimbostack.network.agents.linuxbridge import wiring
from tests.e2e import guest_support as gs
from tests.e2e.test_admin_password import SerialConsole, serial
from tests.e2e.test_real_guest_volumes import _root_shell
from tests.e2e.veth_guests import VethGuest, plug, poll, sh
from tests.support.cloud import Account, RunningCloud

pytestmark = [pytest.mark.e2e, pytest.mark.cli, pytest.mark.timeout(600)]
NET_A = "10.1.0.0/24"


@dataclass
class Lab:
    cloud: RunningCloud
    tag: str
    host: str
    table: str
    vnis: range
    guest: dict[str, Any]  # g1 as `server create` showed it (adminPass included)
    guest_ip: str
    veths: list[VethGuest] = field(default_factory=list)
    project_b: Account | None = None

    def name(self, what: str) -> str:
        return f"{what}-{self.tag}"

    def plug(self, network: str, *options: str, account: Account | None = None) -> VethGuest:
        guest = plug(self.cloud, network, self.host, *options, account=account)
        self.veths.append(guest)
        return guest

    def group(self, what: str, account: Account | None = None) -> str:
        found = self.cloud.cli("security", "group", "create", self.name(what), account=account)
        return str(found["id"])

    def rule(self, group: str, *options: str) -> str:
        found = self.cloud.cli("security", "group", "rule", "create", "--ingress", *options, group)
        return str(found["id"])

    def delete_rule(self, rule_id: str) -> None:
        """Over REST, so a caller can time from the request itself."""
        url = f"{self.cloud.url('network')}/v2.0/security-group-rules/{rule_id}"
        resp = httpx.delete(url, headers={"X-Auth-Token": self.cloud.admin_token()}, timeout=30)
        assert resp.status_code == 204, resp.text

    def accountb(self) -> Account:
        if self.project_b is None:
            self.project_b = self.cloud.make_project_user(self.name("projb"))
        return self.project_b


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    tag = uuid.uuid4().hex[:6]
    first_vni = random.randint(100_000, 16_000_000)
    vnis = range(first_vni, first_vni + 100)
    host, table = f"dp{tag}", f"nsg-{tag}"
    env = {
        "NIMBOSTACK_COMPUTE_AGENT__HOST": host,
        "NIMBOSTACK_ML2_TYPE_VXLAN__VNI_RANGES": f"{vnis[0]}:{vnis[-1]}",
        "NIMBOSTACK_NETWORK_L2__FIREWALL_TABLE": table,
        # No devstack-like topology: every network here is the module's own.
        "NIMBOSTACK_NETWORK__BOOTSTRAP_TOPOLOGY": "false",
    }
    veths: list[VethGuest] = []
    with gs.qemu_cloud(env) as cloud:
        try:
            net = cloud.cli("network", "create", f"neta-{tag}")
            cloud.cli("subnet", "create", "--network", net["id"], "--subnet-range", NET_A,
                      f"neta-{tag}")  # fmt: skip
            web = cloud.cli("security", "group", "create", f"web-{tag}")
            guest = cloud.cli(
                "server", "create", "--image", gs.IMAGE, "--flavor", "m1.nano",
                "--network", net["id"], "--wait", "g1",
            )  # fmt: skip
            (boot,) = gs.wait_boots(cloud, "g1", 1).boots[:1]
            (port,) = cloud.cli("port", "list", "--device-id", guest["id"], "--long")
            # Only the web group (compute gives a new server's ports the default group).
            cloud.cli_raw("port", "set", "--no-security-group", "--security-group", web["id"],
                          port["ID"])  # fmt: skip
            ip = str(port["Fixed IP Addresses"][0]["ip_address"])
            assert ip in boot["ips"].split(","), boot  # leased from dnsmasq
            found = Lab(cloud, tag, host, table, vnis, guest, ip, veths)
            yield found
        finally:
            for veth in veths:
                veth.remove()
    # The cloud is gone; if a failed test left networks behind, their devices and
    # firewall tables go too (only what this cloud's agent labelled as its own).
    for family in ("bridge", "inet"):
        sh("nft", "delete", "table", family, table, check=False)
    for name in _owned_devices(host):
        sh("ip", "link", "del", name, check=False)


def _net_a(lab: Lab) -> str:
    return lab.name("neta")


def _web(lab: Lab) -> str:
    return lab.name("web")


# ---------------------------------------------------------------- security groups


def test_security_groups_on_a_real_guest(lab: Lab) -> None:
    """g1 (QEMU) is the guest filtered; its peers are veth guests (the rules under test
    are g1's ingress: who pings it does not matter beyond its port's groups)."""
    client, other = lab.group("client"), lab.group("other")
    member = lab.plug(_net_a(lab), "--security-group", client)
    outsider = lab.plug(_net_a(lab), "--security-group", other)
    target = lab.guest_ip
    assert not member.ping(target, 2.0)  # web admits nothing yet

    from_members = lab.rule(_web(lab), "--protocol", "icmp", "--remote-group", client)
    poll(lambda: member.ping(target), 10, "ICMP from a member of the remote group")
    assert not outsider.ping(target, 2.0)  # not a member: still dropped

    # An established flow (one long ping, one ICMP id) survives replacing the rule by
    # one that still allows it: no echo is lost while the ruleset is rewritten.
    flow = subprocess.Popen(
        ["ip", "netns", "exec", member.ns, "busybox", "ping", "-i", "0.2", "-c", "30", target],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1.0)
    from_anyone = lab.rule(_web(lab), "--protocol", "icmp", "--remote-ip", "0.0.0.0/0")
    lab.delete_rule(from_members)
    out, _ = flow.communicate(timeout=60)
    assert re.search(r"30 packets transmitted, 30 (packets )?received", out), out
    assert outsider.ping(target, 2.0)  # the new rule admits everyone

    # No rule left: dropped again within a second of the API call (each probe a new flow).
    started = time.monotonic()
    lab.delete_rule(from_anyone)
    poll(lambda: not member.ping(target, 0.2), 5, "ICMP dropped after the rule delete")
    took = time.monotonic() - started
    assert not member.ping(target, 1.0) and not outsider.ping(target, 1.0)
    assert took < 1.0, f"dropped only {took:.2f}s after the rule was deleted"


# ---------------------------------------------------------------- isolation


def test_projects_with_the_same_cidr_are_isolated(lab: Lab) -> None:
    """Project B's network has A's CIDR; B's guests (veth guests: what is proven is the
    separation of two networks' bridges and segments) cannot reach g1 (QEMU), and a
    capture on A's bridge never sees one of B's frames."""
    cloud, b = lab.cloud, lab.accountb()
    opened = [lab.rule(_web(lab), "--protocol", "icmp", "--remote-ip", "0.0.0.0/0")]
    try:
        net_b = cloud.cli("network", "create", lab.name("netb"), account=b)
        cloud.cli("subnet", "create", "--network", net_b["id"], "--subnet-range", NET_A,
                  lab.name("netb"), account=b)  # fmt: skip
        group_b = cloud.cli("security", "group", "show", "default", account=b)["id"]
        b_icmp = cloud.cli("security", "group", "rule", "create", "--ingress", "--protocol",
                           "icmp", group_b, account=b)["id"]  # fmt: skip
        opened.append(b_icmp)
        twin = lab.plug(net_b["id"], "--fixed-ip", f"ip-address={lab.guest_ip}", account=b)
        prober = lab.plug(net_b["id"], account=b)
        witness = lab.plug(_net_a(lab), "--security-group", lab.group("witness"))

        macs = [prober.mac, twin.mac, witness.mac]
        bridge_a = bridge_name(cloud.cli("network", "show", _net_a(lab))["id"])
        with _capture(bridge_a, " or ".join(f"ether host {m}" for m in macs)) as seen:
            # A's own traffic is on A's bridge.
            poll(lambda: witness.ping(lab.guest_ip), 10, "the witness reaches g1")
            # The same address in B's network is B's twin, never g1.
            assert prober.ping(lab.guest_ip, 3.0)
            arp = prober.run("ip", "neigh", "show", lab.guest_ip).stdout
            assert twin.mac in arp and _guest_mac(lab) not in arp, arp
            twin.remove()  # now the address answers nowhere in B's network
            for address in (lab.guest_ip, witness.ip):
                assert not prober.ping(address, 1.0)
        text = seen()
        assert witness.mac in text, text
        assert prober.mac not in text and twin.mac not in text, text
    finally:
        for rule in opened:
            lab.delete_rule(rule)


def test_a_shared_network_isolates_projects_by_their_groups(lab: Lab) -> None:
    """A shared network with both projects' ports (veth guests: the point is the
    projects' default groups on one segment). Each project's default group admits its
    own members and nobody else."""
    cloud, b = lab.cloud, lab.accountb()
    shared = cloud.cli("network", "create", "--share", lab.name("shared"))
    cloud.cli("subnet", "create", "--network", shared["id"], "--subnet-range", "10.2.0.0/24",
              lab.name("shared"))  # fmt: skip
    a1, a2 = lab.plug(shared["id"]), lab.plug(shared["id"])
    b1 = lab.plug(shared["id"], account=b)
    assert a1.ping(a2.ip, 3.0)  # members of A's default group
    assert not b1.ping(a1.ip, 1.0)
    assert not a1.ping(b1.ip, 1.0)


# ---------------------------------------------------------------- anti-spoofing

SPOOF_MAC = "02:00:5e:10:20:30"


def test_a_spoofing_guest_reaches_nothing_until_port_security_is_off(lab: Lab) -> None:
    """g1 (QEMU, driven on its serial console) forges its IP, its ARP and its MAC; the
    neighbour whose cache it tries to poison is a veth guest (its cache is readable)."""
    cloud = lab.cloud
    neighbour = lab.plug(_net_a(lab), "--security-group", lab.group("open"))
    lab.rule(lab.name("open"), "--protocol", "icmp", "--remote-ip", "0.0.0.0/0")
    victim = lab.plug(_net_a(lab), "--security-group", lab.name("open"))
    forged = _free_address(lab)
    with serial(cloud, lab.guest["id"]) as console:
        at = _root_shell(console, lab.guest["adminPass"])
        ok, at = _shell(console, f"ping -c 2 -W 2 {neighbour.ip}", at)
        assert ok  # the guest as it is reaches its neighbour

        # ARP claiming the victim's address, sent to the neighbour.
        arp = f"ip addr add {victim.ip}/32 dev eth0; arping -c 3 -s {victim.ip} {neighbour.ip}"
        _, at = _shell(console, arp, at)
        cache = neighbour.run("ip", "neigh", "show", victim.ip).stdout
        assert _guest_mac(lab) not in cache.lower(), cache  # nobody's cache poisoned
        assert not neighbour.ping(forged, 0.5)

        setup = f"ip addr flush dev eth0; ip addr add {forged}/24 dev eth0"
        _, at = _shell(console, setup, at)
        ok, at = _shell(console, f"ping -c 2 -W 2 {neighbour.ip}", at)
        assert not ok  # a forged IP reaches nothing

        mac = (
            f"ip link set eth0 down; ip link set eth0 address {SPOOF_MAC}; "
            f"ip link set eth0 up; ip addr flush dev eth0; "
            f"ip addr add {lab.guest_ip}/24 dev eth0"
        )
        _, at = _shell(console, mac, at)
        ok, at = _shell(console, f"ping -c 2 -W 2 {neighbour.ip}", at)
        assert not ok  # a forged MAC reaches nothing, even with the port's own IP

        (port,) = cloud.cli("port", "list", "--device-id", lab.guest["id"])
        cloud.cli_raw("port", "set", "--disable-port-security", "--no-security-group", port["ID"])
        retry = f"for i in 1 2 3 4 5 6 7 8 9 10; do ping -c 1 -W 1 {neighbour.ip} && break; done"
        ok, at = _shell(console, retry, at, timeout=60)
        assert ok  # unfiltered: the forged MAC now passes


def _shell(console: SerialConsole, command: str, at: int, timeout: float = 60) -> tuple[bool, int]:
    """Run ``command`` in the guest's root shell: whether it succeeded, and where its
    answer ends (the marker is computed, so the echoed command never matches it)."""
    marker = uuid.uuid4().hex[:6]
    console.type(f'{command} >/dev/null 2>&1 && echo "{marker}-$((40+2))-OK" '
                 f'|| echo "{marker}-$((40+2))-FAIL"\r')  # fmt: skip
    done = console.wait_for(rf"{marker}-42-(OK|FAIL)", at, timeout=timeout)
    return f"{marker}-42-OK" in console.text[at:done], done


def _guest_mac(lab: Lab) -> str:
    (port,) = lab.cloud.cli("port", "list", "--device-id", lab.guest["id"], "--long")
    return str(port["MAC Address"]).lower()


def _free_address(lab: Lab) -> str:
    """An address of A's subnet no port has."""
    taken = {
        ip["ip_address"]
        for port in lab.cloud.cli("port", "list", "--network", _net_a(lab), "--long")
        for ip in port["Fixed IP Addresses"]
    }
    return next(f"10.1.0.{n}" for n in range(200, 250) if f"10.1.0.{n}" not in taken)


class _Capture:
    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.text = ""

    def __call__(self) -> str:
        return self.text


@dataclass
class _CaptureCtx:
    device: str
    expression: str
    capture: _Capture | None = None

    def __enter__(self) -> _Capture:
        proc = subprocess.Popen(
            ["tcpdump", "-l", "-nn", "-e", "-i", self.device, self.expression],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stderr is not None
        # tcpdump says it listens once the capture is open.
        for line in proc.stderr:
            if "listening on" in line:
                break
        self.capture = _Capture(proc)
        return self.capture

    def __exit__(self, *exc: object) -> None:
        assert self.capture is not None
        time.sleep(0.5)
        self.capture.proc.terminate()
        out, _ = self.capture.proc.communicate(timeout=10)
        self.capture.text = out.lower()


def _capture(device: str, expression: str) -> _CaptureCtx:
    """Frames seen on ``device`` matching the tcpdump expression, while the block runs."""
    return _CaptureCtx(device, expression)


# ---------------------------------------------------------------- leaks


def test_nothing_is_left_after_every_server_and_network_is_deleted(lab: Lab) -> None:
    """Everything the cloud made on the host, for its guest and its veth guests, goes
    with them: devices, DHCP namespaces and servers, metadata proxies, firewall tables."""
    cloud = lab.cloud
    networks = cloud.cli("network", "list")
    ports = cloud.cli("port", "list")
    vnis = [
        cloud.cli("network", "show", n["ID"], "-c", "provider:segmentation_id")[
            "provider:segmentation_id"
        ]
        for n in networks
    ]
    assert all(v in lab.vnis for v in vnis), vnis
    assert _nft_tables(lab.table)  # the firewall was there while ports were

    gs.delete_all_servers(cloud)
    for veth in lab.veths:
        veth.remove()
        cloud.cli_raw("port", "delete", veth.port["id"], check=False)
    for net in networks:
        cloud.cli_raw("network", "delete", net["ID"])

    names = {
        *(bridge_name(n["ID"]) for n in networks),
        *(f"tap{p['ID'][:11]}" for p in ports),
        *(f"vxlan-{v}" for v in vnis),
    }
    namespaces = {f"qdhcp-{n['ID']}" for n in networks}

    def left() -> list[str]:
        links = sh("ip", "-j", "link").stdout
        found = [name for name in names if f'"{name}"' in links]
        found += [ns for ns in namespaces if ns in sh("ip", "netns", "list").stdout]
        found += [f"nft table {t}" for t in _nft_tables(lab.table)]
        found += [f"pid {pid}" for pid in _daemons(cloud)]
        return found

    try:
        poll(lambda: not left(), 30, "the cloud's dataplane gone", interval=0.5)
    except AssertionError:
        log = (cloud.data_dir / "up.log").read_text(errors="replace").splitlines()
        said = "\n".join(line for line in log if "could not" in line or "Error" in line)
        raise AssertionError(f"left behind: {left()}\n{said[-3000:]}") from None
    assert not _owned_devices(lab.host)


def _nft_tables(table: str) -> list[str]:
    listed = sh("nft", "list", "tables").stdout.splitlines()
    return [line for line in listed if line.split()[-1:] == [table]]


def _daemons(cloud: RunningCloud) -> list[int]:
    patterns = [f"dnsmasq .*--pid-file={cloud.data_dir}/", f"haproxy -f {cloud.data_dir}/"]
    return [pid for pattern in patterns for pid in gs.qemu_pids(pattern)]


def _owned_devices(host: str) -> list[str]:
    """Devices labelled as made by this cloud's L2 agent (segment devices first)."""
    links = asyncio.run(netdev.links())
    return [name for names in wiring.owned(links, host).values() for name in names]
