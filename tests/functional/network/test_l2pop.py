"""l2population from the server's side: VTEPs of a VXLAN network's ports, and the casts.

Two fake agents play two hosts with their own tunnel addresses on a private bus; what
one hears of the other's ports is what a real agent would write as forwarding entries.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nimbostack.core.context import RequestContext
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, get_transport
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration, GetTunnelPeers
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, serve
from tests.support.waiting import await_until

IPS = {"host-a": "192.0.2.1", "host-b": "192.0.2.2"}


@dataclass
class Pair:
    api: Neutron
    transport: Transport
    agents: dict[str, FakeL2Agent]

    async def active_port(self, net: dict[str, Any], host: str) -> dict[str, Any]:
        port = await self.api.port(net, **{"binding:host_id": host})
        await await_until(lambda: self._status(port["id"], "ACTIVE"), 10, "port ACTIVE")
        return port

    async def _status(self, port_id: str, status: str) -> bool:
        resp = await self.api.call("GET", f"/v2.0/ports/{port_id}")
        return bool(resp.json()["port"]["status"] == status)

    async def peers(self, net: dict[str, Any], host: str) -> Any:
        client = RpcClient(self.transport, PLUGIN)
        return await client.call(RequestContext.admin(), GetTunnelPeers(net["id"], host))


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    transport = get_transport(f"memory://l2pop-{uuid.uuid4().hex}")
    async for api in serve(sqlite_url(tmp_path / "network.sqlite")):
        state = api.state
        state.agents = AgentNotifier(transport)
        endpoint = PluginEndpoint(state.db, state.agent_down_time, None, state.agents)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        agents = {
            host: FakeL2Agent(
                transport,
                host,
                AgentConfiguration(tunnel_types=["vxlan"], tunneling_ip=ip),
                report_interval=3600,
            )
            for host, ip in IPS.items()
        }
        for agent in agents.values():
            await agent.start()
        try:
            yield Pair(api, transport, agents)
        finally:
            for agent in agents.values():
                await agent.stop()
            await server.stop()
            await transport.close()


async def _vxlan(api: Neutron) -> dict[str, Any]:
    net = await api.network(**{"provider:network_type": "vxlan"})
    await api.subnet(net, "10.70.0.0/24")
    return net


async def test_tunnel_peers_are_other_hosts_active_ports(pair: Pair) -> None:
    net = await _vxlan(pair.api)
    remote = await pair.active_port(net, "host-b")
    await pair.active_port(net, "host-a")
    await pair.api.port(net)  # bound nowhere: no VTEP
    found = await pair.peers(net, "host-a")
    ips = [ip["ip_address"] for ip in remote["fixed_ips"]]
    assert found == [
        {"tunnel_ip": IPS["host-b"], "ports": [{"mac": remote["mac_address"], "ips": ips}]}
    ]
    assert [peer["tunnel_ip"] for peer in await pair.peers(net, "host-b")] == [IPS["host-a"]]


async def test_active_port_is_announced_and_its_delete_withdrawn(pair: Pair) -> None:
    net = await _vxlan(pair.api)
    port = await pair.active_port(net, "host-b")
    entry = (net["id"], IPS["host-b"], port["mac_address"])
    listener = pair.agents["host-a"]
    await await_until(lambda: entry in listener.fdb, 10, "FdbAdd heard")
    resp = await pair.api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert resp.status_code == 204
    await await_until(lambda: entry not in listener.fdb, 10, "FdbRemove heard")


async def test_port_moving_host_is_withdrawn_from_the_old_vtep(pair: Pair) -> None:
    net = await _vxlan(pair.api)
    port = await pair.active_port(net, "host-b")
    listener = pair.agents["host-a"]
    old = (net["id"], IPS["host-b"], port["mac_address"])
    await await_until(lambda: old in listener.fdb, 10, "FdbAdd heard")
    body = {"port": {"binding:host_id": "host-a"}}
    resp = await pair.api.call("PUT", f"/v2.0/ports/{port['id']}", body)
    assert resp.status_code == 200, resp.text
    await await_until(lambda: old not in listener.fdb, 10, "old VTEP's entry withdrawn")


async def test_ports_of_other_network_types_are_not_announced(pair: Pair) -> None:
    net = await pair.api.network(
        **{"provider:network_type": "vlan", "provider:physical_network": "physnet1"}
    )
    await pair.api.subnet(net, "10.71.0.0/24")
    pair.agents["host-b"].config.interface_mappings["physnet1"] = "eth1"
    await pair.agents["host-b"].report()
    await pair.active_port(net, "host-b")
    # A VXLAN port after it: its announcement arrives, the VLAN one's never did.
    vx = await _vxlan(pair.api)
    port = await pair.active_port(vx, "host-b")
    listener = pair.agents["host-a"]
    await await_until(lambda: len(listener.fdb) > 0, 10, "FdbAdd heard")
    assert listener.fdb == {(vx["id"], IPS["host-b"], port["mac_address"])}
