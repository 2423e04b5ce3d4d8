"""Router ports bound to the L3 agent's host: ``GetRouters`` with ``bind_ports``.

The networking app runs in-process with its RPC endpoint and a fake L2 agent on the
agent's host (so the mechanism driver can bind there), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from nimbostack.core.context import RequestContext
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, get_transport
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration
from nimbostack.network.agents import reporting
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.db.models import ProvisioningBlock
from nimbostack.network.l3_messages import GetRouters, RouterInfo
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, serve

HOST = "l3-host"


async def _wired(url: str) -> AsyncIterator[tuple[Neutron, Transport]]:
    transport = get_transport(f"memory://l3-bind-{uuid.uuid4().hex}")
    async for api in serve(url):
        state = api.state
        state.agents = AgentNotifier(transport)
        endpoint = PluginEndpoint(state.db, state.agent_down_time, None, state.agents)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        config = AgentConfiguration(bridge_mappings={"public": "br-ex"}, tunnel_types=["vxlan"])
        config.tunneling_ip = "192.0.2.20"
        l2 = FakeL2Agent(transport, HOST, config, report_interval=3600, device_delay=3600)
        await l2.start()
        plugin = RpcClient(transport, PLUGIN, timeout=30)
        await reporting.report_state(plugin, reporting.L3, HOST, AgentConfiguration(), True)
        try:
            yield api, transport
        finally:
            await l2.stop()
            await server.stop()
            await transport.close()


@pytest.fixture
async def wired(any_url: str) -> AsyncIterator[tuple[Neutron, Transport]]:
    async for found in _wired(any_url):
        yield found


async def _router(api: Neutron) -> dict[str, Any]:
    ext = await api.network(
        **{
            "router:external": True,
            "provider:network_type": "flat",
            "provider:physical_network": "public",
        }
    )
    await api.subnet(ext, "172.24.4.0/24")
    net = await api.network()
    sub = await api.subnet(net, "10.0.0.0/24")
    body = {"router": {"external_gateway_info": {"network_id": ext["id"]}}}
    router: dict[str, Any] = (await api.call("POST", "/v2.0/routers", body)).json()["router"]
    path = f"/v2.0/routers/{router['id']}/add_router_interface"
    await api.call("PUT", path, {"subnet_id": sub["id"]})
    return router


async def _get(transport: Transport, bind: bool) -> list[RouterInfo]:
    client = RpcClient(transport, PLUGIN, timeout=30)
    raw = await client.call(RequestContext.admin(), GetRouters(host=HOST, bind_ports=bind))
    return [RouterInfo.from_wire(r) for r in raw]


async def _bindings(api: Neutron, router_id: str) -> list[tuple[str, str, str]]:
    resp = await api.call("GET", "/v2.0/ports", params={"device_id": router_id})
    return sorted(
        (p["device_owner"], p["binding:host_id"], p["binding:vif_type"])
        for p in resp.json()["ports"]
    )


async def test_router_ports_are_bound_to_the_agents_host_only_when_asked(
    wired: tuple[Neutron, Transport],
) -> None:
    api, transport = wired
    router = await _router(api)
    [found] = await _get(transport, bind=False)
    assert found.id == router["id"]
    assert {host for _, host, _ in await _bindings(api, router["id"])} == {""}

    await _get(transport, bind=True)
    assert await _bindings(api, router["id"]) == [
        ("network:router_gateway", HOST, "bridge"),
        ("network:router_interface", HOST, "bridge"),
    ]


async def test_concurrent_syncs_bind_each_router_port_once(
    wired: tuple[Neutron, Transport],
) -> None:
    api, transport = wired
    router = await _router(api)
    replies = await asyncio.gather(*(_get(transport, bind=True) for _ in range(8)))
    assert all([r.id for r in reply] == [router["id"]] for reply in replies)
    assert {b[1:] for b in await _bindings(api, router["id"])} == {(HOST, "bridge")}
    async with api.state.db.reader() as s:
        blocks = await s.scalar(select(func.count()).select_from(ProvisioningBlock))
    assert blocks == 2  # one L2 block per router port, none twice
