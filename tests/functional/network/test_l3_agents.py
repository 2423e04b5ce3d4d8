"""The L3 agents' contract: scheduling, ``GetRouters``, casts, and floating IP statuses.

The networking app runs in-process with its RPC endpoint and a fake L3 agent on a
private ``memory://`` bus.
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
from nimbostack.network.agent_messages import PLUGIN
from nimbostack.network.agents.fake_l3 import FakeL3Agent
from nimbostack.network.l3_messages import GetRouters, RouterInfo, UpdateFloatingIpStatuses
from nimbostack.network.l3_rpc import L3Notifier
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, serve
from tests.support.waiting import await_until

HOST = "net-host"


@dataclass
class Wired:
    api: Neutron
    transport: Transport
    agent: FakeL3Agent

    async def fip(self, fip_id: str) -> dict[str, Any]:
        resp = await self.api.call("GET", f"/v2.0/floatingips/{fip_id}")
        found: dict[str, Any] = resp.json()["floatingip"]
        return found


@pytest.fixture
async def wired(tmp_path: Path) -> AsyncIterator[Wired]:
    transport = get_transport(f"memory://l3-{uuid.uuid4().hex}")
    async for api in serve(sqlite_url(tmp_path / "network.sqlite")):
        state = api.state
        state.agents = AgentNotifier(transport)
        state.l3 = L3Notifier(transport, state.db, state.agent_down_time)
        endpoint = PluginEndpoint(state.db, state.agent_down_time, None)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        agent = FakeL3Agent(transport, HOST, report_interval=3600)
        await agent.start()
        try:
            yield Wired(api, transport, agent)
        finally:
            await agent.stop()
            await server.stop()
            await transport.close()


async def _routed(api: Neutron) -> dict[str, Any]:
    ext = await api.network(**{"router:external": True})
    ext_sub = await api.subnet(ext, "172.24.4.0/24")
    net = await api.network(token="alice")
    sub = await api.subnet(net, "10.0.0.0/24", token="alice")
    body = {"router": {"external_gateway_info": {"network_id": ext["id"]}}}
    router = (await api.call("POST", "/v2.0/routers", body, token="alice")).json()["router"]
    path = f"/v2.0/routers/{router['id']}/add_router_interface"
    await api.call("PUT", path, {"subnet_id": sub["id"]}, token="alice")
    return {"ext": ext, "ext_sub": ext_sub, "net": net, "sub": sub, "router": router}


async def test_the_l3_agent_is_listed(wired: Wired) -> None:
    [agent] = (await wired.api.call("GET", "/v2.0/agents")).json()["agents"]
    assert (agent["agent_type"], agent["binary"], agent["host"]) == (
        "L3 agent", "neutron-l3-agent", HOST,
    )  # fmt: skip
    assert agent["topic"] == "network.l3" and agent["alive"] is True


async def test_a_router_is_scheduled_and_described_to_its_agent(wired: Wired) -> None:
    top = await _routed(wired.api)
    router_id = top["router"]["id"]
    await await_until(
        lambda: _has_interface(wired.agent, router_id), 10, "the agent has the interface"
    )
    info = wired.agent.routers[router_id]
    assert info.project_id == top["router"]["project_id"] and info.enable_snat is True
    assert info.gateway is not None and info.gateway.network_id == top["ext"]["id"]
    [gw_address] = info.gateway.addresses
    assert (gw_address.cidr, gw_address.gateway_ip) == ("172.24.4.0/24", "172.24.4.1")
    [interface] = info.interfaces
    assert interface.network_id == top["net"]["id"] and interface.mtu == 1450
    assert [(a.ip_address, a.cidr) for a in interface.addresses] == [("10.0.0.1", "10.0.0.0/24")]
    # What the server answers a call for one router, typed.
    client = RpcClient(wired.transport, PLUGIN, timeout=10, service="test")
    raw = await client.call(RequestContext.admin(), GetRouters(HOST, [router_id]))
    assert [RouterInfo.from_wire(r) for r in raw] == [info]
    assert await client.call(RequestContext.admin(), GetRouters("elsewhere", None)) == []


async def _has_interface(agent: FakeL3Agent, router_id: str) -> bool:
    found = agent.routers.get(router_id)
    return found is not None and len(found.interfaces) == 1


async def test_a_floating_ip_goes_active_once_its_agent_has_it(wired: Wired) -> None:
    top = await _routed(wired.api)
    port = await wired.api.port(top["net"], token="alice")
    body = {"floatingip": {"floating_network_id": top["ext"]["id"], "port_id": port["id"]}}
    resp = await wired.api.call("POST", "/v2.0/floatingips", body, token="alice")
    fip = resp.json()["floatingip"]
    await await_until(lambda: _status_is(wired, fip["id"], "ACTIVE"), 10, "floating IP ACTIVE")
    [known] = wired.agent.routers[top["router"]["id"]].floating_ips
    assert (known.floating_ip_address, known.fixed_ip_address) == (
        fip["floating_ip_address"], fip["fixed_ip_address"],
    )  # fmt: skip
    path = f"/v2.0/floatingips/{fip['id']}"
    await wired.api.call("PUT", path, {"floatingip": {"port_id": None}}, token="alice")
    assert (await wired.fip(fip["id"]))["status"] == "DOWN"


async def _status_is(wired: Wired, fip_id: str, status: str) -> bool:
    return (await wired.fip(fip_id))["status"] == status


async def test_statuses_are_taken_only_for_the_router_that_has_the_floating_ip(
    wired: Wired,
) -> None:
    top = await _routed(wired.api)
    body = {"floatingip": {"floating_network_id": top["ext"]["id"]}}
    fip = (await wired.api.call("POST", "/v2.0/floatingips", body, token="alice")).json()
    fip_id = fip["floatingip"]["id"]
    client = RpcClient(wired.transport, PLUGIN, timeout=10, service="test")
    msg = UpdateFloatingIpStatuses(router_id=top["router"]["id"], statuses={fip_id: "ACTIVE"})
    assert await client.call(RequestContext.admin(), msg) == 0
    assert (await wired.fip(fip_id))["status"] == "DOWN"


async def test_a_deleted_router_leaves_its_agent(wired: Wired) -> None:
    resp = await wired.api.call("POST", "/v2.0/routers", {"router": {}}, token="alice")
    router_id = resp.json()["router"]["id"]
    await await_until(lambda: _hosted(wired.agent, router_id, True), 10, "router hosted")
    await wired.api.call("DELETE", f"/v2.0/routers/{router_id}", token="alice")
    await await_until(lambda: _hosted(wired.agent, router_id, False), 10, "router gone")


async def _hosted(agent: FakeL3Agent, router_id: str, wanted: bool) -> bool:
    return (router_id in agent.routers) == wanted


async def test_admins_see_which_agent_hosts_which_router(wired: Wired) -> None:
    resp = await wired.api.call("POST", "/v2.0/routers", {"router": {}}, token="alice")
    router_id = resp.json()["router"]["id"]
    await await_until(lambda: _hosted(wired.agent, router_id, True), 10, "router hosted")
    hosting = await wired.api.call("GET", f"/v2.0/routers/{router_id}/l3-agents")
    [agent] = hosting.json()["agents"]
    assert (agent["host"], agent["agent_type"], agent["ha_state"]) == (HOST, "L3 agent", None)
    hosted = await wired.api.call("GET", f"/v2.0/agents/{agent['id']}/l3-routers")
    assert [r["id"] for r in hosted.json()["routers"]] == [router_id]
    refused = await wired.api.call("GET", f"/v2.0/routers/{router_id}/l3-agents", token="alice")
    assert refused.status_code == 403
    missing = await wired.api.call("GET", f"/v2.0/routers/{uuid.uuid4()}/l3-agents")
    assert missing.status_code == 404
