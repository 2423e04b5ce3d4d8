"""The real DHCP agent on this host: dnsmasq in qdhcp namespaces, leased to a real client.

The networking service runs in-process (its app, database and RPC endpoints on a
private bus) with a fake L2 agent for the server's side of wiring; the test itself
plays the L2 agent on the host: it plugs the DHCP port's tap into a bridge of its own.
A client namespace with a veth on that bridge and a port's MAC runs busybox udhcpc,
whose script prints what the lease gave. Needs root, iproute2, dnsmasq and busybox.
"""

from __future__ import annotations

import os
import random
import signal
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nimbostack.core import netdev
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.process import run
from nimbostack.core.rpc import RpcServer, Transport, get_transport
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration, tap_name
from nimbostack.network.agents.dhcp import agent as agent_module
from nimbostack.network.agents.dhcp import dnsmasq, plumbing
from nimbostack.network.agents.dhcp.agent import DhcpAgent
from nimbostack.network.agents.dhcp.config import Files, Settings
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.dhcp_messages import DHCP_OWNER, DHCP_PLUGIN, namespace_name
from nimbostack.network.dhcp_rpc import DhcpNotifier, DhcpPluginEndpoint
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, serve
from tests.support.requires import require, require_tools
from tests.support.waiting import await_until

pytestmark = pytest.mark.asyncio

HOST = "dhcp-host"
SCRIPT = """#!/bin/sh
[ "$1" = bound ] || exit 0
for name in ip subnet router dns mtu staticroutes domain; do
    eval "echo $name=\\$$name"
done
"""


@dataclass
class Proxies:
    """The metadata proxy hook, recording the namespaces it was asked to serve."""

    serving: set[str] = field(default_factory=set)

    async def ensure(
        self, namespace: str, *, network_id: str | None = None, router_id: str | None = None
    ) -> None:
        self.serving.add(namespace)

    async def remove(self, namespace: str) -> None:
        self.serving.discard(namespace)


@dataclass
class Host:
    api: Neutron
    transport: Transport
    tmp: Path
    tag: str
    bridge: str
    proxies: Proxies
    agent: DhcpAgent | None = None
    networks: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)

    async def start_agent(self) -> DhcpAgent:
        settings = Settings(lease_duration=600)
        agent = DhcpAgent(
            self.transport,
            HOST,
            self.tmp / "data",
            settings,
            report_interval=3600,
            resync_interval=3600,
            proxies=self.proxies,
        )
        self.agent = agent
        await agent.start()
        return agent

    async def stop_agent(self) -> None:
        if self.agent is not None:
            await self.agent.stop()
            self.agent = None

    def files(self, network_id: str) -> Files:
        return Files(self.tmp / "data" / "dhcp" / network_id)

    async def network(self, cidr: str, **subnet: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        net = await self.api.network()
        self.networks.append(net["id"])
        sub = await self.api.subnet(net, cidr, **subnet)
        return net, sub

    async def compute_port(self, net: dict[str, Any]) -> dict[str, Any]:
        fields = {"binding:host_id": HOST, "device_owner": "compute:nova"}
        return await self.api.port(net, device_id=str(uuid.uuid4()), **fields)

    async def dhcp_port(self, network_id: str) -> dict[str, Any]:
        params = {"network_id": network_id, "device_owner": DHCP_OWNER}
        resp = await self.api.call("GET", "/v2.0/ports", params=params)
        (port,) = resp.json()["ports"]
        return dict(port)

    async def plug_dhcp_tap(self, network_id: str) -> None:
        """What the L2 agent does: the DHCP port's tap goes into the network's bridge."""
        tap = tap_name((await self.dhcp_port(network_id))["id"])
        await await_until(lambda: netdev.link(tap), 10, f"{tap} made")
        await netdev.set_master(tap, self.bridge)

    async def lease(self, mac: str) -> dict[str, str]:
        """Run udhcpc from a client namespace with ``mac``; what its lease said."""
        ns, outside, inside = (f"dc{self.tag}{n}" for n in ("ns", "v", "p"))
        await netdev.delete(outside)
        await netdev.add_namespace(ns)
        self.namespaces.append(ns)
        self.devices.append(outside)
        await netdev.add_veth(outside, inside, peer_netns=ns)
        await netdev.set_master(outside, self.bridge)
        await netdev.set_up(outside)
        await netdev.set_address(inside, mac, ns)
        await netdev.set_up(inside, netns=ns)
        script = self.tmp / "udhcpc.sh"
        script.write_text(SCRIPT)
        script.chmod(0o755)
        argv = ["ip", "netns", "exec", ns, "busybox", "udhcpc", "-q", "-n", "-f"]
        argv += ["-t", "10", "-T", "1", "-O", "mtu", "-O", "staticroutes"]
        done = await run(*argv, "-i", inside, "-s", str(script), timeout=60)
        await netdev.delete_namespace(ns)
        assert done.returncode == 0, done.err.decode()
        pairs = (line.split("=", 1) for line in done.out.decode().splitlines() if "=" in line)
        return {key: value.strip() for key, value in pairs}


def _dnsmasq_processes(files: Files) -> list[int]:
    """Every dnsmasq on the host started with this network's pid file."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"dnsmasq") and f"--pid-file={files.pid}".encode() in args:
            found.append(int(entry.name))
    return found


def _descriptors(pid: int) -> list[str]:
    """What each open descriptor of the process points to."""
    fds = Path(f"/proc/{pid}/fd")
    return sorted(os.readlink(fd) for fd in fds.iterdir())


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Host]:
    require_tools("ip", "dnsmasq", "busybox", why="DHCP in network namespaces")
    require(os.geteuid() == 0, "root", "creating namespaces and devices")
    transport = get_transport(f"memory://dhcp-host-{uuid.uuid4().hex}")
    tag = uuid.uuid4().hex[:6]
    bridge = f"dhb{tag}"
    async for api in serve(sqlite_url(tmp_path / "network.sqlite")):
        state = api.state
        state.agents = AgentNotifier(transport)
        state.dhcp = DhcpNotifier(transport, state.db)
        plugin = PluginEndpoint(state.db, state.agent_down_time, None)
        dhcp_plugin = DhcpPluginEndpoint(state.conf, state.db, state.agents, None)
        servers = [
            RpcServer(transport, PLUGIN, plugin, service="network-server"),
            RpcServer(transport, DHCP_PLUGIN, dhcp_plugin, service="network-server"),
        ]
        for server in servers:
            await server.start()
        l2 = FakeL2Agent(transport, HOST, AgentConfiguration(tunnel_types=["vxlan"]))
        await l2.start()
        await netdev.add_bridge(bridge)
        await netdev.set_up(bridge)
        found = Host(api, transport, tmp_path, tag, bridge, Proxies())
        try:
            yield found
        finally:
            await found.stop_agent()
            await l2.stop()
            for server in servers:
                await server.stop()
            for network_id in found.networks:
                for pid in _dnsmasq_processes(found.files(network_id)):
                    os.kill(pid, signal.SIGKILL)
                await netdev.delete_namespace(namespace_name(network_id))
            for ns in found.namespaces:
                await netdev.delete_namespace(ns)
            for device in [*found.devices, bridge]:
                await netdev.delete(device)
            await transport.close()


def _cidr() -> str:
    return f"10.{random.randint(64, 127)}.{random.randint(0, 255)}.0/24"


async def test_a_client_gets_its_port_address_and_options(host: Host) -> None:
    cidr = _cidr()
    prefix = cidr.rsplit(".", 1)[0]
    net, sub = await host.network(
        cidr,
        dns_nameservers=[f"{prefix}.53"],
        host_routes=[{"destination": "192.168.77.0/24", "nexthop": f"{prefix}.254"}],
    )
    port = await host.compute_port(net)
    await host.start_agent()
    await host.plug_dhcp_tap(net["id"])
    dhcp_ip = (await host.dhcp_port(net["id"]))["fixed_ips"][0]["ip_address"]

    lease = await host.lease(port["mac_address"])

    assert lease["ip"] == port["fixed_ips"][0]["ip_address"]
    assert (lease["subnet"], lease["router"]) == ("255.255.255.0", sub["gateway_ip"])
    assert (lease["dns"], lease["mtu"]) == (f"{prefix}.53", str(net["mtu"]))
    assert lease["staticroutes"].split() == [
        "169.254.169.254/32", dhcp_ip,
        "192.168.77.0/24", f"{prefix}.254",
        "0.0.0.0/0", sub["gateway_ip"],
    ]  # fmt: skip
    ns = namespace_name(net["id"])
    assert ns in host.proxies.serving
    inside = await netdev.addresses(f"ns-{(await host.dhcp_port(net['id']))['id'][:11]}", ns)
    assert "169.254.169.254/32" in inside
    # dnsmasq holds only its own files: nothing of the cloud's (its database, sockets).
    pid = dnsmasq.running_pid(host.files(net["id"]))
    assert pid is not None
    held = _descriptors(pid)
    assert not [t for t in held if "network.sqlite" in t], held
    assert [t for t in held if str(host.tmp) in t] == [str(host.files(net["id"]).leases)]
    # dnsmasq served it: the DHCP block is lifted, and the L2 one too.
    await await_until(lambda: _status_is(host, port["id"], "ACTIVE"), 10, "port ACTIVE")


async def test_a_later_port_is_served_after_a_reload(host: Host) -> None:
    net, _ = await host.network(_cidr())
    first = await host.compute_port(net)
    await host.start_agent()
    await host.plug_dhcp_tap(net["id"])
    files = host.files(net["id"])
    pid = dnsmasq.running_pid(files)
    assert pid is not None
    assert (await host.lease(first["mac_address"]))["ip"] == first["fixed_ips"][0]["ip_address"]

    later = await host.compute_port(net)
    await await_until(lambda: later["mac_address"] in files.hosts.read_text(), 10, "host entry")
    lease = await host.lease(later["mac_address"])

    assert lease["ip"] == later["fixed_ips"][0]["ip_address"]
    assert dnsmasq.running_pid(files) == pid
    await await_until(lambda: _status_is(host, later["id"], "ACTIVE"), 10, "later port ACTIVE")


async def test_a_restarted_agent_adopts_dnsmasq_and_removes_stale_ones(host: Host) -> None:
    kept, _ = await host.network(_cidr())
    dropped, _ = await host.network(_cidr())
    await host.start_agent()
    kept_files, dropped_files = host.files(kept["id"]), host.files(dropped["id"])
    pid = dnsmasq.running_pid(kept_files)
    assert pid is not None and dnsmasq.running_pid(dropped_files) is not None
    await host.stop_agent()
    # Deleted while no agent ran: the next one finds its dnsmasq stale.
    assert (await host.api.call("DELETE", f"/v2.0/networks/{dropped['id']}")).status_code == 204

    await host.start_agent()

    assert _dnsmasq_processes(kept_files) == [pid]
    assert _dnsmasq_processes(dropped_files) == []
    assert namespace_name(dropped["id"]) not in await netdev.namespaces()
    assert not dropped_files.root.exists()


async def test_a_restarted_agent_leaves_another_agents_namespace_alone(host: Host) -> None:
    # Another cloud's (or test's) DHCP namespace on the same machine: not this agent's.
    foreign = namespace_name(str(uuid.uuid4()))
    await netdev.add_namespace(foreign)
    try:
        await host.start_agent()
        await host.stop_agent()
        await host.start_agent()
        assert foreign in await netdev.namespaces()
    finally:
        await netdev.delete_namespace(foreign)


async def test_network_delete_leaves_nothing(host: Host) -> None:
    net, _ = await host.network(_cidr())
    await host.start_agent()
    files = host.files(net["id"])
    pid = dnsmasq.running_pid(files)
    assert pid is not None
    tap = tap_name((await host.dhcp_port(net["id"]))["id"])

    assert (await host.api.call("DELETE", f"/v2.0/networks/{net['id']}")).status_code == 204

    ns = namespace_name(net["id"])
    await await_until(lambda: _gone(ns), 10, "namespace removed")
    await await_until(lambda: not _dnsmasq_processes(files), 10, "dnsmasq stopped")
    await await_until(lambda: not files.root.exists(), 10, "files removed")
    # The host end goes with its peer's namespace (the kernel removes it shortly after).
    await await_until(lambda: _no_link(tap), 10, f"{tap} removed")
    assert ns not in host.proxies.serving


async def _port_gone(host: Host, port_id: str) -> bool:
    resp = await host.api.call("GET", f"/v2.0/ports/{port_id}")
    return resp.status_code == 404


async def _no_link(name: str) -> bool:
    return await netdev.link(name) is None


async def _gone(namespace: str) -> bool:
    return namespace not in await netdev.namespaces()


async def _status_is(host: Host, port_id: str, status: str) -> bool:
    resp = await host.api.call("GET", f"/v2.0/ports/{port_id}")
    return bool(resp.json()["port"]["status"] == status)


async def test_dual_stack_network_serves_dhcpv6_beside_ipv4(host: Host) -> None:
    net, _ = await host.network(_cidr())
    v6 = await host.api.subnet(
        net, f"fd5e:{random.randint(1, 0xFFFF):x}::/64", ipv6_address_mode="dhcpv6-stateful"
    )
    port = await host.compute_port(net)
    await host.start_agent()
    await host.plug_dhcp_tap(net["id"])
    files = host.files(net["id"])

    argv = dnsmasq.running_argv(files)
    assert argv is not None
    network = v6["cidr"].split("/")[0]
    assert f"--dhcp-range=set:subnet-{v6['id']},{network},static,64,600s" in argv
    v6_address = next(ip for ip in port["fixed_ips"] if ip["subnet_id"] == v6["id"])
    assert f"[{v6_address['ip_address']}]" in files.hosts.read_text()
    dhcp_port = await host.dhcp_port(net["id"])
    inside = await netdev.addresses(f"ns-{dhcp_port['id'][:11]}", namespace_name(net["id"]))
    assert {f"{ip['ip_address']}/{24 if '.' in ip['ip_address'] else 64}"
            for ip in dhcp_port["fixed_ips"]} <= set(inside)  # fmt: skip
    v4_address = next(ip for ip in port["fixed_ips"] if ip["subnet_id"] != v6["id"])
    assert (await host.lease(port["mac_address"]))["ip"] == v4_address["ip_address"]


async def test_disabling_dhcp_stops_serving_and_releases_the_port(host: Host) -> None:
    net, sub = await host.network(_cidr())
    await host.start_agent()
    files = host.files(net["id"])
    assert dnsmasq.running_pid(files) is not None
    dhcp_port = await host.dhcp_port(net["id"])

    body = {"subnet": {"enable_dhcp": False}}
    resp = await host.api.call("PUT", f"/v2.0/subnets/{sub['id']}", body)
    assert resp.status_code == 200, resp.text

    await await_until(lambda: _gone(namespace_name(net["id"])), 10, "namespace removed")
    assert not _dnsmasq_processes(files)
    # The port is released after the namespace is gone.
    await await_until(lambda: _port_gone(host, dhcp_port["id"]), 10, "DHCP port released")


async def test_a_failed_sync_is_retried(host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    net, _ = await host.network(_cidr())
    real_plug = plumbing.plug
    failures = []

    async def plug_failing_once(*args: Any) -> str:
        if not failures:
            failures.append(args)
            raise netdev.NetdevError("a device vanished")
        return await real_plug(*args)

    monkeypatch.setattr(plumbing, "plug", plug_failing_once)
    monkeypatch.setattr(agent_module, "RETRY_DELAY", 0.2)
    await host.start_agent()
    files = host.files(net["id"])
    await await_until(lambda: dnsmasq.running_pid(files), 10, "dnsmasq started on a retry")
    assert len(failures) == 1
