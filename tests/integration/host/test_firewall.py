"""The nftables firewall on a host built of namespaces, with real traffic between guests.

Ports, groups and rules are made through the in-process networking API, so the
firewall works from real ``DeviceDetails`` and ``GetSecurityGroupsInfo`` answers; rule
changes reach it as ``SecurityGroupsChanged`` fan-outs (``tests/support/firewall_host``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.core import netdev
from nimbostack.core.process import run, spawn
from nimbostack.network.agent_messages import DeviceDetails, bridge_name
from nimbostack.network.agents.firewall import NftFirewall
from tests.support.firewall_host import (
    FirewallLab,
    Guest,
    firewall_lab,
    neighbour,
    other_address,
)
from tests.support.requires import require, require_tools
from tests.support.waiting import await_until

# The in-process control plane compiles its SQL on first use while other work shares
# the host's two cores: its callbacks get a looser bound than the default here.
pytestmark = pytest.mark.loop_watch_ms(1000)

ICMP_IN = {"direction": "ingress", "protocol": "icmp"}


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[FirewallLab]:
    require(os.geteuid() == 0, "root", "namespaces, bridges and nftables")
    require_tools("ip", "nft", why="host devices and the firewall's ruleset")
    async with firewall_lab(tmp_path) as found:
        yield found


async def test_icmp_dropped_until_a_rule_allows_it_and_again_within_a_second(
    lab: FirewallLab,
) -> None:
    net = await lab.network("10.61.0.0/24")
    web = await lab.group("web")
    a = await lab.guest(net, security_groups=[web["id"]])
    b = await lab.guest(net, security_groups=[web["id"]])
    assert not await lab.ping(a, b)

    rule = await lab.rule(web, **ICMP_IN)
    await await_until(lambda: lab.ping(a, b), 5, "ICMP allowed")

    await lab.delete_rule(rule)
    removed = time.monotonic()
    # Each probe is a new flow (a new ICMP identifier), as a new ping would be.
    await await_until(lambda: _not(lab.ping(a, b, timeout=0.2)), 5, "ICMP dropped")
    assert time.monotonic() - removed < 1.0


async def _not(probe: object) -> bool:
    assert asyncio.iscoroutine(probe)
    return not await probe


async def test_remote_group_rule_admits_only_members(lab: FirewallLab) -> None:
    net = await lab.network("10.62.0.0/24")
    web, db, other = await lab.group("web"), await lab.group("db"), await lab.group("other")
    await lab.rule(db, remote_group_id=web["id"], **ICMP_IN)
    server = await lab.guest(net, security_groups=[db["id"]])
    member = await lab.guest(net, security_groups=[web["id"]])
    outsider = await lab.guest(net, security_groups=[other["id"]])
    assert await lab.ping(member, server)
    assert not await lab.ping(outsider, server)

    # Joining the group admits it (the server's ruleset learns of the new member).
    body = {"port": {"security_groups": [web["id"]]}}
    resp = await lab.api.call("PUT", f"/v2.0/ports/{outsider.port['id']}", body)
    assert resp.status_code == 200, resp.text
    await await_until(lambda: lab.ping(outsider, server), 5, "new member admitted")


async def test_established_tcp_flow_survives_a_rule_change_that_allows_it(
    lab: FirewallLab,
) -> None:
    require_tools("busybox", why="nc for a TCP flow")
    net = await lab.network("10.63.0.0/24")
    group = await lab.group("svc")
    tcp = await lab.rule(group, direction="ingress", protocol="tcp",
                         port_range_min=5000, port_range_max=5000)  # fmt: skip
    client = await lab.guest(net, security_groups=[group["id"]])
    server = await lab.guest(net, security_groups=[group["id"]])
    # Both ends keep stdin open: busybox nc ends the connection when its stdin ends.
    pipe = asyncio.subprocess.PIPE
    listener = await spawn("ip", "netns", "exec", server.ns, "busybox", "nc", "-l", "-p", "5000",
                           stdin=pipe, stdout=pipe)  # fmt: skip
    await await_until(lambda: _listening(server, 5000), 10, "nc listening")
    talker = await spawn("ip", "netns", "exec", client.ns, "busybox", "nc", server.ip, "5000",
                         stdin=pipe, stdout=pipe)  # fmt: skip
    try:
        assert listener.stdin and listener.stdout and talker.stdin and talker.stdout
        await _say(talker.stdin, listener.stdout, b"before\n")
        # Replace the rule by a wider one: the flow stays allowed throughout.
        await lab.rule(group, direction="ingress", protocol="tcp",
                       port_range_min=5000, port_range_max=5001)  # fmt: skip
        await lab.delete_rule(tcp)
        await await_until(lambda: _has_rule(lab, "5000-5001"), 5, "rule applied")
        assert "dport 5000 accept" not in await lab.nft("list", "table", "inet", lab.firewall.table)
        # The server speaks first: only the flow's conntrack entry lets that reach the
        # client, whose own rules admit nothing.
        await _say(listener.stdin, talker.stdout, b"after\n")
        await _say(talker.stdin, listener.stdout, b"and back\n")
    finally:
        for proc in (talker, listener):
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


async def _listening(guest: Guest, port: int) -> bool:
    tables = ("/proc/net/tcp", "/proc/net/tcp6")  # nc listens on either
    done = await run("ip", "netns", "exec", guest.ns, "cat", *tables, timeout=10)
    # Columns: sl, local address (hex ip:port), remote address, state (0A: LISTEN).
    rows = [line.split() for line in done.out.decode().splitlines()]
    return any(len(r) > 3 and r[1].endswith(f":{port:04X}") and r[3] == "0A" for r in rows)


async def _say(stdin: asyncio.StreamWriter, stdout: asyncio.StreamReader, line: bytes) -> None:
    stdin.write(line)
    await stdin.drain()
    assert await asyncio.wait_for(stdout.readline(), 5) == line


async def _has_rule(lab: FirewallLab, text: str) -> bool:
    return text in await lab.nft("list", "table", "inet", lab.firewall.table)


async def test_spoofed_ip_or_mac_reaches_nothing(lab: FirewallLab) -> None:
    net = await lab.network("10.64.0.0/24")
    open_ = await lab.group("open")
    await lab.rule(open_, **ICMP_IN)
    target = await lab.guest(net, security_groups=[open_["id"]])
    rogue = await lab.guest(net, security_groups=[open_["id"]])
    assert await lab.ping(rogue, target)

    forged = other_address(rogue, 100)
    await netdev.add_address("eth0", f"{forged}/24", netns=rogue.ns)
    # The target knows where the forged address is, so only the IP check can stop it.
    await netdev.ip("neigh", "replace", forged, "lladdr", rogue.port["mac_address"],
                    "dev", "eth0", netns=target.ns)  # fmt: skip
    assert not await lab.ping(rogue, target, source=forged)
    assert await lab.ping(rogue, target)  # its own address still works

    await netdev.set_address("eth0", "fa:16:3e:0b:ad:01", netns=rogue.ns)
    await netdev.ip("neigh", "flush", "all", netns=target.ns)
    assert not await lab.ping(rogue, target)


async def test_forged_arp_poisons_no_neighbour(lab: FirewallLab) -> None:
    require_tools("busybox", why="arping for unsolicited ARP")
    net = await lab.network("10.65.0.0/24")
    open_ = await lab.group("open")
    await lab.rule(open_, **ICMP_IN)
    victim = await lab.guest(net, security_groups=[open_["id"]])
    real = await lab.guest(net, security_groups=[open_["id"]])
    rogue = await lab.guest(net, security_groups=[open_["id"]])
    assert await lab.ping(victim, real)
    assert await _neighbour_of(lab, victim, real.ip) == real.port["mac_address"]

    # The rogue announces the real guest's address as its own.
    await netdev.add_address("eth0", f"{real.ip}/32", netns=rogue.ns)
    await _arping(rogue, real.ip)
    assert await _neighbour_of(lab, victim, real.ip) == real.port["mac_address"]
    assert await lab.ping(victim, real)


async def _arping(guest: Guest, address: str) -> None:
    argv = ["ip", "netns", "exec", guest.ns, "busybox", "arping", "-U", "-c", "2", "-w", "2",
            "-I", "eth0", "-s", address, address]  # fmt: skip
    done = await run(*argv, timeout=20)
    assert done.returncode in (0, 1), done.err.decode()


async def _neighbour_of(lab: FirewallLab, guest: Guest, ip: str) -> str | None:
    out = await netdev.ip("-j", "neigh", "show", "dev", "eth0", netns=guest.ns)
    return neighbour(out, ip)


async def test_port_security_off_lifts_filtering_for_that_port_only(lab: FirewallLab) -> None:
    net = await lab.network("10.66.0.0/24")
    open_, closed = await lab.group("open"), await lab.group("closed")
    await lab.rule(open_, **ICMP_IN)
    target = await lab.guest(net, security_groups=[open_["id"]])
    free = await lab.guest(net, port_security_enabled=False, security_groups=[])
    guarded = await lab.guest(net, security_groups=[closed["id"]])
    forged = other_address(free, 100)
    await netdev.add_address("eth0", f"{forged}/24", netns=free.ns)
    assert await lab.ping(free, target, source=forged)  # no anti-spoofing for it
    assert await lab.ping(target, free)  # no ingress filter either
    assert not await lab.ping(target, guarded)  # the others stay filtered


async def test_two_networks_with_the_same_cidr_share_no_conntrack_state(
    lab: FirewallLab,
) -> None:
    red, blue = await lab.network("10.67.0.0/24"), await lab.network("10.67.0.0/24")
    open_, closed = await lab.group("open"), await lab.group("closed")
    await lab.rule(open_, **ICMP_IN)
    red_a = await lab.guest(red, security_groups=[open_["id"]])
    red_b = await lab.guest(red, security_groups=[open_["id"]])
    blue_a = await lab.guest(blue, security_groups=[open_["id"]])
    blue_b = await lab.guest(blue, security_groups=[closed["id"]])
    assert (red_a.ip, red_b.ip) == (blue_a.ip, blue_b.ip)

    ident = random.randrange(1, 0xFFFF)
    assert await lab.ping(red_a, red_b, ident=ident)
    # The very same tuple on the other network is a new flow there, and blue_b takes none.
    assert not await lab.ping(blue_a, blue_b, ident=ident)
    zones = await _zone_map(lab)
    assert zones[bridge_name(red["id"])] != zones[bridge_name(blue["id"])]


async def test_resync_drops_stale_ports_and_clear_leaves_no_table(lab: FirewallLab) -> None:
    net = await lab.network("10.68.0.0/24")
    group = await lab.group("g")
    first = await lab.guest(net, security_groups=[group["id"]])
    second = await lab.guest(net, security_groups=[group["id"]])
    ruleset = await lab.nft("list", "table", "inet", lab.firewall.table)
    assert f"ingress-{first.port['id']}" in ruleset

    await lab.firewall.apply([lab.agent.wired[second.tap]])
    ruleset = await lab.nft("list", "ruleset")
    assert first.port["id"] not in ruleset
    assert f"ingress-{second.port['id']}" in ruleset

    await lab.firewall.remove(second.tap)
    assert second.port["id"] not in await lab.nft("list", "ruleset")

    await lab.firewall.clear()
    assert lab.firewall.table not in await lab.nft("list", "tables")


async def test_a_restarted_firewall_keeps_each_networks_zone(lab: FirewallLab) -> None:
    red, blue = await lab.network("10.69.0.0/24"), await lab.network("10.69.0.0/24")
    group = await lab.group("g")
    await lab.guest(red, security_groups=[group["id"]])
    blue_guest = await lab.guest(blue, security_groups=[group["id"]])
    before = await _zone_map(lab)
    assert sorted(before.values()) == [1, 2]

    # A new firewall (the agent restarted) first sees blue alone, which keeps its zone:
    # its flows' conntrack entries stay in the zone they were made in.
    fresh = NftFirewall(lab.firewall.plugin, lab.agent.host, table=lab.firewall.table,
                        netns=lab.host_ns)  # fmt: skip
    await fresh.apply([lab.agent.wired[blue_guest.tap]])
    bridge = bridge_name(blue["id"])
    assert await _zone_map(lab) == {bridge: before[bridge]}


async def _zone_map(lab: FirewallLab) -> dict[str, int]:
    out = await lab.nft("-j", "list", "map", "inet", lab.firewall.table, "sg-zones")
    (found,) = [o["map"] for o in json.loads(out)["nftables"] if "map" in o]
    return {str(bridge): int(zone) for bridge, zone in found["elem"]}


async def test_another_firewall_on_the_host_never_filters_this_ones_ports(
    lab: FirewallLab,
) -> None:
    """Two firewalls in one namespace (two agents' tables, as two clouds on one machine
    have) number their ports from 1 alike: each looks at the marks of its own bridges."""
    net = await lab.network("10.64.0.0/24")
    web = await lab.group("web")
    await lab.rule(web, **ICMP_IN)
    a = await lab.guest(net, security_groups=[web["id"]])
    b = await lab.guest(net, security_groups=[web["id"]])
    assert await lab.ping(a, b)

    # The other firewall's port 1 and 2 admit nothing and send nothing but DHCP.
    theirs = [
        DeviceDetails(
            device=f"tapzz{n}{lab.tag}",
            port_id=str(uuid.uuid4()),
            network_id=str(uuid.uuid4()),
            mac_address=f"fa:16:3e:00:00:0{n}",
            admin_state_up=True,
            network_type="vxlan",
            fixed_ips=[f"10.65.0.{n}"],
            device_owner="compute:nova",
        )
        for n in (1, 2)
    ]
    other = NftFirewall(lab.firewall.plugin, "other", table=f"other-{lab.tag}", netns=lab.host_ns)
    await other.apply(theirs)
    try:
        assert await lab.ping(a, b) and await lab.ping(b, a)
    finally:
        await other.clear()


async def test_a_host_with_no_port_left_keeps_no_tables(lab: FirewallLab) -> None:
    net = await lab.network("10.66.0.0/24")
    await lab.guest(net)
    assert lab.firewall.table in await lab.nft("list", "tables")
    await lab.firewall.apply([])
    assert lab.firewall.table not in await lab.nft("list", "tables")
