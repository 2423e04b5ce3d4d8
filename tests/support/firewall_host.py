"""A host built of namespaces with the real firewall, driven by the in-process networking API.

``FirewallLab`` runs the networking app with its RPC endpoint on a private memory bus,
and an L2 agent in name only (the fake agent, so ports bind to the lab's host) that
hands every ``SecurityGroupsChanged`` to a real ``NftFirewall``, the way the Linux-bridge
agent does. The host is a namespace with a bridge per network (``brq<net-id[:11]>``);
each guest is a namespace whose veth's host end is named like the port's tap
(``tap<port-id[:11]>``) and carries the port's MAC and addresses. Everything carries a
random tag and is removed on ``close``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbostack.core import netdev
from nimbostack.core.context import RequestContext
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.process import run
from nimbostack.core.rpc import RpcClient, RpcServer, decode_reply, get_transport, handles
from nimbostack.network.agent_messages import (
    PLUGIN,
    AgentConfiguration,
    DeviceDetails,
    GetDeviceDetails,
    SecurityGroupsChanged,
    bridge_name,
    tap_name,
)
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.agents.firewall import NftFirewall
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, serve

PROBE = str(Path(__file__).with_name("netprobe.py"))


class FilteringAgent(FakeL2Agent):
    """The fake agent, refiltering its host's ports through a real firewall."""

    firewall: NftFirewall | None = None
    wired: dict[str, DeviceDetails]

    @handles(SecurityGroupsChanged)
    async def security_groups_changed(
        self, ctxt: RequestContext, msg: SecurityGroupsChanged
    ) -> None:
        self.refiltered.extend(msg.security_group_ids)
        if self.firewall is None:
            return
        fresh = [await self.details(device) for device in self.wired]
        self.wired = {d.device: d for d in fresh}
        await self.firewall.groups_changed(msg.security_group_ids, fresh)

    async def details(self, device: str) -> DeviceDetails:
        msg = GetDeviceDetails(device=device, host=self.host)
        return decode_reply(DeviceDetails, await self.plugin.call(RequestContext.admin(), msg))


@dataclass
class Guest:
    """A guest namespace on one port."""

    ns: str
    port: dict[str, Any]
    ip: str

    @property
    def tap(self) -> str:
        return tap_name(self.port["id"])


@dataclass
class FirewallLab:
    api: Neutron
    agent: FilteringAgent
    firewall: NftFirewall
    host_ns: str
    tag: str
    guests: list[Guest] = field(default_factory=list)
    bridges: set[str] = field(default_factory=set)

    async def guest(self, net: dict[str, Any], prefix: int = 24, **port: Any) -> Guest:
        """A port on ``net`` bound here, its guest namespace wired, the firewall applied."""
        made = await self.api.port(net, device_owner="compute:nova", **port,
                                   **{"binding:host_id": self.agent.host})  # fmt: skip
        bridge = bridge_name(net["id"])
        if bridge not in self.bridges:
            await netdev.ip("link", "add", bridge, "type", "bridge", netns=self.host_ns)
            await netdev.set_up(bridge, netns=self.host_ns)
            self.bridges.add(bridge)
        ip = made["fixed_ips"][0]["ip_address"]
        guest = Guest(f"fwg{self.tag}{len(self.guests)}", made, ip)
        self.guests.append(guest)
        await netdev.add_namespace(guest.ns)
        await netdev.ip("link", "add", guest.tap, "type", "veth", "peer", "name", "eth0",
                        "netns", guest.ns, netns=self.host_ns)  # fmt: skip
        await netdev.set_master(guest.tap, bridge, netns=self.host_ns)
        await netdev.set_up(guest.tap, netns=self.host_ns)
        await netdev.set_address("eth0", made["mac_address"], netns=guest.ns)
        await netdev.add_address("eth0", f"{ip}/{prefix}", netns=guest.ns)
        await netdev.set_up("eth0", netns=guest.ns)
        await self.rewire()
        return guest

    async def rewire(self) -> None:
        """What the agent does on a resync: fresh details of every port, firewall applied."""
        devices = [g.tap for g in self.guests]
        self.agent.wired = {d: await self.agent.details(d) for d in devices}
        await self.firewall.apply(list(self.agent.wired.values()))

    async def ping(self, src: Guest, dst: Guest | str, *, ident: int | None = None,
                   timeout: float = 0.5, source: str | None = None) -> bool:  # fmt: skip
        """Whether ``src`` gets an answer to one ICMP echo (a new flow unless ``ident``)."""
        target = dst if isinstance(dst, str) else dst.ip
        ident = random.randrange(1, 0xFFFF) if ident is None else ident
        argv = ["ip", "netns", "exec", src.ns, sys.executable, PROBE, "ping", target,
                str(ident), str(timeout), *([source] if source else [])]  # fmt: skip
        done = await run(*argv, timeout=timeout + 10)
        return done.returncode == 0

    async def nft(self, *args: str) -> str:
        done = await run("ip", "netns", "exec", self.host_ns, "nft", *args, timeout=30)
        assert done.returncode == 0, done.err.decode()
        return done.out.decode()

    async def rule(self, group: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return await self.api.create(
            "security_group_rule", "admin", security_group_id=group["id"], **fields
        )

    async def delete_rule(self, rule: dict[str, Any]) -> None:
        resp = await self.api.call("DELETE", f"/v2.0/security-group-rules/{rule['id']}")
        assert resp.status_code == 204, resp.text

    async def group(self, name: str) -> dict[str, Any]:
        """A new group: its default rules let everything out and nothing in."""
        return await self.api.create("security_group", "admin", name=name)

    async def network(self, cidr: str) -> dict[str, Any]:
        net = await self.api.network()
        await self.api.subnet(net, cidr, enable_dhcp=False)
        return net

    async def close(self) -> None:
        for guest in self.guests:
            await netdev.delete_namespace(guest.ns)
        await netdev.delete_namespace(self.host_ns)


def neighbour(out: str, ip: str) -> str | None:
    """The MAC ``ip -j neigh`` output gives for ``ip``, if any."""
    for entry in json.loads(out or "[]"):
        if entry.get("dst") == ip:
            mac: str | None = entry.get("lladdr")
            return mac
    return None


def other_address(guest: Guest, offset: int) -> str:
    """An address in the guest's subnet that is not its own."""
    return str(ipaddress.ip_address(guest.ip) + offset)


@asynccontextmanager
async def firewall_lab(tmp_path: Path) -> AsyncIterator[FirewallLab]:
    """The lab: control plane, host namespace, firewall; all removed afterwards."""
    tag = uuid.uuid4().hex[:6]
    host = f"fw-host-{tag}"
    transport = get_transport(f"memory://fw-{tag}")
    async for api in serve(sqlite_url(tmp_path / "network.sqlite")):
        api.state.agents = AgentNotifier(transport)
        endpoint = PluginEndpoint(api.state.db, api.state.agent_down_time, None)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        agent = FilteringAgent(transport, host, AgentConfiguration(tunnel_types=["vxlan"]))
        agent.wired = {}
        await agent.start()
        await netdev.add_namespace(f"fwh{tag}")
        plugin = RpcClient(transport, PLUGIN, timeout=30)
        firewall = NftFirewall(plugin, host, table=f"nimbostack-sg-{tag}", netns=f"fwh{tag}")
        agent.firewall = firewall
        lab = FirewallLab(api, agent, firewall, f"fwh{tag}", tag)
        try:
            yield lab
        finally:
            agent.firewall = None
            await asyncio.shield(_teardown(lab, server, transport))


async def _teardown(lab: FirewallLab, server: RpcServer, transport: Any) -> None:
    try:
        await lab.agent.stop()
        await server.stop()
        await transport.close()
    finally:
        await lab.close()
