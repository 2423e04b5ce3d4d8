"""A Linux-bridge agent on this machine against the networking service run in-process.

The networking app serves its agents' contract on a private ``memory://`` bus; the real
agent wires this host's devices under a host name of its own (so its resync never
touches devices of another test), a fake agent plays a second host with its own VTEP
address. Every device a test makes carries a random suffix and is removed afterwards.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nimbostack.core import netdev
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.rpc import RpcServer, Transport, get_transport
from nimbostack.network.agent_messages import (
    PLUGIN,
    AgentConfiguration,
    DeviceDetails,
    tap_name,
)
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.agents.l2_hosts import on_this_host
from nimbostack.network.agents.linuxbridge import wiring
from nimbostack.network.agents.linuxbridge.agent import LinuxBridgeAgent
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, network_conf, serve
from tests.support.requires import require, require_tools
from tests.support.waiting import await_until

PEER_IP = "10.254.0.2"


@dataclass
class Recorder:
    """A ``PortFirewall`` that records what the agent asks of it."""

    applied: list[list[str]] = field(default_factory=list)  # port ids at each apply
    changed: list[list[str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    async def apply(self, ports: Sequence[DeviceDetails]) -> None:
        self.applied.append(sorted(p.port_id for p in ports))

    async def groups_changed(
        self, group_ids: Sequence[str], ports: Sequence[DeviceDetails]
    ) -> None:
        self.changed.append(list(group_ids))

    async def remove(self, device: str) -> None:
        self.removed.append(device)


@dataclass
class Host:
    """The service, its bus, the real agent and its host's names, and a fake peer host."""

    api: Neutron
    transport: Transport
    tag: str
    config: AgentConfiguration
    firewall: Recorder
    peer: FakeL2Agent
    agent: LinuxBridgeAgent | None = None
    taps: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)  # made by the test, removed after

    @property
    def name(self) -> str:
        return f"lb-{self.tag}"

    async def start_agent(self) -> LinuxBridgeAgent:
        self.agent = LinuxBridgeAgent(
            self.transport,
            self.name,
            await on_this_host(self.config),
            self.firewall,
            report_interval=3600,
            polling_interval=0.1,
        )
        await self.agent.start()
        return self.agent

    async def stop_agent(self) -> None:
        if self.agent is not None:
            await self.agent.stop()
            self.agent = None

    async def port(self, net: dict[str, Any], host: str | None = None) -> dict[str, Any]:
        return await self.api.port(net, **{"binding:host_id": host or self.name})

    async def tap_for(self, port: dict[str, Any]) -> str:
        tap = tap_name(port["id"])
        self.taps.append(tap)
        await netdev.add_tap(tap)
        return tap

    async def status_is(self, port_id: str, status: str) -> bool:
        resp = await self.api.call("GET", f"/v2.0/ports/{port_id}")
        return bool(resp.json()["port"]["status"] == status)

    async def active(self, port: dict[str, Any]) -> None:
        await await_until(lambda: self.status_is(port["id"], "ACTIVE"), 15, "port ACTIVE")

    async def vxlan_network(self) -> dict[str, Any]:
        vni = random.randint(100_000, 16_000_000)
        net = await self.api.network(
            **{"provider:network_type": "vxlan", "provider:segmentation_id": vni}
        )
        await self.api.subnet(net, "10.60.0.0/24")
        return net

    async def cleanup(self) -> None:
        await self.stop_agent()
        await self.peer.stop()
        for tap in self.taps:
            await netdev.delete(tap)
        for devices in wiring.owned(await netdev.links(), self.name).values():
            for name in devices:
                await netdev.delete(name)
        for name in self.devices:
            await netdev.delete(name)


async def kernel_makes_vlans(parent: str) -> bool:
    """Whether this kernel makes VLAN devices (8021q; no module can be loaded here)."""
    probe = f"{parent[:10]}.4093"
    try:
        await netdev.add_vlan(probe, parent, 4093)
    except netdev.NetdevError:
        return False
    await netdev.delete(probe)
    return True


def require_host() -> None:
    require_tools("ip", "bridge", why="host network devices")
    require(os.geteuid() == 0, "root", "creating network devices")


async def host_harness(
    tmp_path: Any, tag: str, interfaces: dict[str, str], bridges: dict[str, str]
) -> AsyncIterator[Host]:
    """The service with a real agent (not started yet) and a started fake peer host."""
    transport = get_transport(f"memory://l2-{uuid.uuid4().hex}")
    conf = network_conf(
        ml2_type_flat={"flat_networks": ["*"]},
        ml2_type_vlan={"network_vlan_ranges": list(interfaces)},
    )
    async for api in serve(sqlite_url(tmp_path / "network.sqlite"), conf):
        state = api.state
        state.agents = AgentNotifier(transport)
        endpoint = PluginEndpoint(state.db, state.agent_down_time, None, state.agents)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        config = AgentConfiguration(
            bridge_mappings=bridges,
            interface_mappings=interfaces,
            tunnel_types=["vxlan"],
            tunneling_ip=f"10.254.{random.randint(1, 250)}.{random.randint(3, 250)}",
        )
        peer_config = AgentConfiguration(tunnel_types=["vxlan"], tunneling_ip=PEER_IP)
        peer = FakeL2Agent(transport, f"peer-{tag}", peer_config, report_interval=3600)
        await peer.start()
        host = Host(api, transport, tag, config, Recorder(), peer)
        try:
            yield host
        finally:
            await host.cleanup()
            await server.stop()
            await transport.close()
