"""A real L3 agent and a real Linux-bridge agent on this machine, against the networking
service run in-process on a private ``memory://`` bus.

Each test gets its own host name, external bridge (``bx<tag>``, on a physical network
of its own), external CIDR and VXLAN ids, so that parallel clouds on one machine never
share a device. "Guests" are veths in namespaces of their own whose host ends are named
as compute ports' taps, so the L2 agent wires them as it wires a guest's. Everything a
test makes is removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbostack.core import netdev
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.process import run, spawn
from nimbostack.core.rpc import RpcServer, Transport, get_transport
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration, tap_name
from nimbostack.network.agents.dhcp.plumbing import NamespaceProxies
from nimbostack.network.agents.l2_hosts import on_this_host
from nimbostack.network.agents.l3 import nat
from nimbostack.network.agents.l3.agent import L3Agent
from nimbostack.network.agents.l3.external import ExternalBridge
from nimbostack.network.agents.linuxbridge import wiring
from nimbostack.network.agents.linuxbridge.agent import LinuxBridgeAgent
from nimbostack.network.l3_messages import namespace_name
from nimbostack.network.l3_rpc import L3Notifier
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, network_conf, serve
from tests.support.requires import require, require_tools
from tests.support.waiting import await_until


@dataclass
class Guest:
    """A namespace on an internal network with a compute port's MAC and address."""

    port: dict[str, Any]
    namespace: str

    @property
    def ip(self) -> str:
        return str(self.port["fixed_ips"][0]["ip_address"])

    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def serve_http(self, root: Path, port: int) -> None:
        """Serve ``root`` over HTTP from the guest (busybox httpd, ended with the test)."""
        (root / "whoami").write_text(self.port["id"])
        await self.run_server(port, "httpd", "-f", "-p", str(port), "-h", str(root))

    async def serve_echo(self, port: int) -> None:
        """Echo what each TCP connection to ``port`` sends (busybox nc and cat)."""
        await self.run_server(port, "nc", "-ll", "-p", str(port), "-e", "/bin/cat")

    async def run_server(self, port: int, *busybox: str) -> None:
        argv = ["ip", "netns", "exec", self.namespace, "busybox", *busybox]
        none = asyncio.subprocess.DEVNULL
        proc = await spawn(*argv, stdin=none, stdout=none, stderr=none)
        self.processes.append(proc)

        async def listening() -> bool:
            argv = ["ip", "netns", "exec", self.namespace, "ss", "-Hltn", f"sport = :{port}"]
            return bool((await run(*argv, timeout=30)).out.strip())

        await await_until(listening, 10, f"a server on port {port}")

    async def ping(self, address: str, count: int = 1) -> bool:
        argv = [
            "ip",
            "netns",
            "exec",
            self.namespace,
            "busybox",
            "ping",
            "-c",
            str(count),
            "-W",
            "1",
        ]
        return (await run(*argv, address, timeout=30)).returncode == 0


@dataclass
class L3Host:
    api: Neutron
    transport: Transport
    tmp: Path
    tag: str
    external: ExternalBridge
    proxies: NamespaceProxies | None = None
    l2: LinuxBridgeAgent | None = None
    agent: L3Agent | None = None
    routers: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    taps: list[str] = field(default_factory=list)
    ext_net: dict[str, Any] = field(default_factory=dict)
    ext_subnet: dict[str, Any] = field(default_factory=dict)
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"l3-{self.tag}"

    @property
    def physnet(self) -> str:
        return f"ext{self.tag}"

    @property
    def gateway_ip(self) -> str:
        return self.external.address.split("/", 1)[0]

    async def start_agent(self) -> L3Agent:
        self.agent = L3Agent(
            self.transport,
            self.name,
            self.tmp / "data",
            proxies=self.proxies,
            report_interval=3600,
            resync_interval=3600,
        )
        await self.agent.start()
        return self.agent

    async def stop_agent(self) -> None:
        if self.agent is not None:
            await self.agent.stop()
            self.agent = None

    async def idle(self) -> None:
        assert self.agent is not None
        await self.agent.idle()

    async def built(self, router_id: str) -> None:
        """Wait until the agent has built the router (its NAT table exists) and is idle."""
        ns = namespace_name(router_id)
        await await_until(lambda: ruleset(ns), 15, f"{ns} built")
        await self.idle()

    async def external_network(self) -> None:
        self.ext_net = await self.api.network(
            **{
                "router:external": True,
                "provider:network_type": "flat",
                "provider:physical_network": self.physnet,
            }
        )
        cidr = str(ipaddress.ip_interface(self.external.address).network)
        self.ext_subnet = await self.api.subnet(self.ext_net, cidr, gateway_ip=self.gateway_ip)

    async def internal_network(self, cidr: str) -> tuple[dict[str, Any], dict[str, Any]]:
        vni = random.randint(100_000, 16_000_000)
        net = await self.api.network(
            **{"provider:network_type": "vxlan", "provider:segmentation_id": vni}
        )
        return net, await self.api.subnet(net, cidr)

    async def router(self, *subnets: dict[str, Any], **fields: Any) -> dict[str, Any]:
        body = {"router": {"external_gateway_info": {"network_id": self.ext_net["id"]}, **fields}}
        resp = await self.api.call("POST", "/v2.0/routers", body)
        assert resp.status_code == 201, resp.text
        router: dict[str, Any] = resp.json()["router"]
        self.routers.append(router["id"])
        for sub in subnets:
            await self.add_interface(router, sub)
        return router

    async def add_interface(self, router: dict[str, Any], sub: dict[str, Any]) -> None:
        path = f"/v2.0/routers/{router['id']}/add_router_interface"
        resp = await self.api.call("PUT", path, {"subnet_id": sub["id"]})
        assert resp.status_code == 200, resp.text

    async def remove_interface(self, router: dict[str, Any], sub: dict[str, Any]) -> None:
        path = f"/v2.0/routers/{router['id']}/remove_router_interface"
        resp = await self.api.call("PUT", path, {"subnet_id": sub["id"]})
        assert resp.status_code == 200, resp.text

    async def router_ports(self, router_id: str) -> list[dict[str, Any]]:
        resp = await self.api.call("GET", "/v2.0/ports", params={"device_id": router_id})
        found: list[dict[str, Any]] = resp.json()["ports"]
        return found

    async def floating_ip(self, port: dict[str, Any]) -> dict[str, Any]:
        body = {"floatingip": {"floating_network_id": self.ext_net["id"], "port_id": port["id"]}}
        resp = await self.api.call("POST", "/v2.0/floatingips", body)
        assert resp.status_code == 201, resp.text
        found: dict[str, Any] = resp.json()["floatingip"]
        return found

    async def associate(self, fip: dict[str, Any], port_id: str | None) -> None:
        path = f"/v2.0/floatingips/{fip['id']}"
        resp = await self.api.call("PUT", path, {"floatingip": {"port_id": port_id}})
        assert resp.status_code == 200, resp.text

    async def fip_status(self, fip_id: str) -> str:
        resp = await self.api.call("GET", f"/v2.0/floatingips/{fip_id}")
        return str(resp.json()["floatingip"]["status"])

    async def guest(self, net: dict[str, Any], gateway: str) -> Guest:
        """A compute port on ``net`` bound here, and a namespace behind its tap."""
        fields = {"binding:host_id": self.name, "device_owner": "compute:nova"}
        port = await self.api.port(net, device_id=str(uuid.uuid4()), **fields)
        namespace = f"l3g{self.tag}{len(self.namespaces)}"
        await netdev.add_namespace(namespace)
        self.namespaces.append(namespace)
        tap, inside = tap_name(port["id"]), f"eth{self.tag}"
        self.taps.append(tap)
        await netdev.add_veth(tap, inside, peer_netns=namespace)
        await netdev.set_address(inside, port["mac_address"], namespace)
        await netdev.set_up(inside, mtu=int(net["mtu"]), netns=namespace)
        ip = port["fixed_ips"][0]["ip_address"]
        await netdev.add_address(inside, f"{ip}/24", namespace)
        await netdev.ip("route", "add", "default", "via", gateway, netns=namespace)
        await self.active(port["id"])
        return Guest(port, namespace, self.processes)

    async def active(self, port_id: str) -> None:
        async def status() -> bool:
            resp = await self.api.call("GET", f"/v2.0/ports/{port_id}")
            return bool(resp.json()["port"]["status"] == "ACTIVE")

        await await_until(status, 20, f"port {port_id} ACTIVE")

    async def cleanup(self) -> None:
        """Remove what the test made; every step runs even if one before it failed."""
        steps: list[Awaitable[Any]] = [_end(proc) for proc in self.processes]
        steps.append(self.stop_agent())
        if self.l2 is not None:
            steps.append(self.l2.stop())
        for router_id in self.routers:
            if self.proxies is not None:
                steps.append(self.proxies.remove(namespace_name(router_id)))
            steps.append(netdev.delete_namespace(namespace_name(router_id)))
        steps += [netdev.delete_namespace(ns) for ns in self.namespaces]
        steps += [_delete_device(tap) for tap in self.taps]
        steps.append(self._delete_l2_devices())
        steps.append(self.external.remove())
        failures = []
        for step in steps:
            try:
                await step
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    async def _delete_l2_devices(self) -> None:
        for devices in wiring.owned(await netdev.links(), self.name).values():
            for name in devices:
                await _delete_device(name)


async def _end(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def _delete_device(name: str) -> None:
    # A veth goes with its peer's namespace, a moment later: it may vanish meanwhile.
    try:
        await netdev.delete(name)
    except netdev.NetdevError:
        if await netdev.link(name) is not None:
            raise


@contextlib.asynccontextmanager
async def arp_capture(device: str) -> AsyncIterator[list[str]]:
    """The ARP packets tcpdump sees on ``device`` while the block runs (filled at its end)."""
    proc = await spawn(
        "tcpdump", "-l", "-nn", "-i", device, "arp",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    while b"listening on" not in await asyncio.wait_for(proc.stderr.readline(), 10):
        pass
    seen: list[str] = []
    try:
        yield seen
    finally:
        await asyncio.sleep(0.2)
        proc.terminate()
        out, _ = await proc.communicate()
        seen.extend(out.decode().splitlines())


async def ruleset(namespace: str) -> str:
    """The router namespace's NAT table as ``nft list`` prints it ("" if none)."""
    argv = ["ip", "netns", "exec", namespace, "nft", "list", "table", "ip", nat.TABLE]
    done = await run(*argv, timeout=30)
    return done.out.decode() if done.returncode == 0 else ""


def require_host() -> None:
    require_tools("ip", "nft", "busybox", "curl", "tcpdump", why="routers in network namespaces")
    require(os.geteuid() == 0, "root", "creating namespaces and devices")


async def l3_harness(
    tmp_path: Path, proxies: NamespaceProxies | None = None
) -> AsyncIterator[L3Host]:
    """The service, an external bridge of the test's own, and a started L2 agent."""
    require_host()
    tag = uuid.uuid4().hex[:6]
    transport = get_transport(f"memory://l3-{uuid.uuid4().hex}")
    conf = network_conf(ml2_type_flat={"flat_networks": ["*"]})
    # Shared address space (RFC 6598): no host route of the machine's own is there.
    address = f"100.{random.randint(64, 127)}.{random.randint(0, 255)}.1/24"
    external = ExternalBridge(f"bx{tag}", address)
    async for api in serve(sqlite_url(tmp_path / "network.sqlite"), conf):
        state = api.state
        state.agents = AgentNotifier(transport)
        state.l3 = L3Notifier(transport, state.db, state.agent_down_time)
        endpoint = PluginEndpoint(state.db, state.agent_down_time, None, state.agents)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        host = L3Host(api, transport, tmp_path, tag, external, proxies)
        try:
            await external.ensure()
            config = AgentConfiguration(
                bridge_mappings={host.physnet: external.bridge},
                tunnel_types=["vxlan"],
                tunneling_ip=f"10.254.{random.randint(1, 250)}.{random.randint(3, 250)}",
            )
            host.l2 = LinuxBridgeAgent(
                transport,
                host.name,
                await on_this_host(config),
                None,
                report_interval=3600,
                polling_interval=0.1,
            )
            await host.l2.start()
            await host.external_network()
            yield host
        finally:
            await host.cleanup()
            await server.stop()
            await transport.close()
