"""The DHCP agents' contract: scheduling, network info, the DHCP port, and the DHCP block.

The networking app runs in-process with its RPC endpoints, a fake L2 agent that reports
devices up only when told, and a recording DHCP agent (the contract's other end) on a
private ``memory://`` bus; compute's events are recorded as they would be sent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from nimbostack.core.context import RequestContext
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.rpc import (
    Message,
    RpcClient,
    RpcServer,
    Transport,
    decode_reply,
    get_transport,
    handles,
)
from nimbostack.network.agent_messages import PLUGIN, AgentConfiguration, ReportState, tap_name
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.db.models import Agent
from nimbostack.network.dhcp_messages import (
    DHCP_AGENT,
    DHCP_AGENT_TYPE,
    DHCP_BINARY,
    DHCP_OWNER,
    DHCP_PLUGIN,
    CreateDhcpPort,
    DhcpReady,
    GetActiveNetworks,
    GetNetworkInfo,
    NetworkChanged,
    NetworkInfo,
    NetworkRemoved,
    PortChanged,
    PortInfo,
    PortRemoved,
    ReleaseDhcpPort,
    dhcp_device_id,
)
from nimbostack.network.dhcp_rpc import DhcpNotifier, DhcpPluginEndpoint
from nimbostack.network.objects.binding import Provisioned
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, error_of, serve
from tests.support.waiting import await_until

HOST = "host-a"
VTEP = "192.0.2.10"
CONFIG = AgentConfiguration(tunnel_types=["vxlan"], tunneling_ip=VTEP)


@dataclass
class RecordingDhcpAgent:
    """The DHCP agent's end of the contract: what the server told it, in order."""

    heard: list[Message] = field(default_factory=list)

    @handles(NetworkChanged)
    async def network_changed(self, ctxt: RequestContext, msg: NetworkChanged) -> None:
        self.heard.append(msg)

    @handles(PortChanged)
    async def port_changed(self, ctxt: RequestContext, msg: PortChanged) -> None:
        self.heard.append(msg)

    @handles(PortRemoved)
    async def port_removed(self, ctxt: RequestContext, msg: PortRemoved) -> None:
        self.heard.append(msg)

    @handles(NetworkRemoved)
    async def network_removed(self, ctxt: RequestContext, msg: NetworkRemoved) -> None:
        self.heard.append(msg)


class Events:
    def __init__(self) -> None:
        self.plugged_ports: list[Provisioned] = []

    async def plugged(self, port: Provisioned) -> None:
        self.plugged_ports.append(port)


@dataclass
class Cloud:
    api: Neutron
    transport: Transport
    l2: FakeL2Agent
    dhcp: RecordingDhcpAgent
    events: Events

    async def call(self, msg: Message, topic: str = DHCP_PLUGIN) -> Any:
        return await RpcClient(self.transport, topic).call(RequestContext.admin(), msg)

    async def report_dhcp(self, host: str = HOST) -> str:
        msg = ReportState(DHCP_AGENT_TYPE, DHCP_BINARY, host, DHCP_AGENT, AgentConfiguration())
        agent_id: str = await self.call(msg, PLUGIN)
        return agent_id

    async def status_of(self, port_id: str) -> str:
        resp = await self.api.call("GET", f"/v2.0/ports/{port_id}")
        assert resp.status_code == 200, resp.text
        return str(resp.json()["port"]["status"])

    async def status_is(self, port_id: str, status: str) -> bool:
        return await self.status_of(port_id) == status


async def _cloud(url: str) -> AsyncIterator[Cloud]:
    transport = get_transport(f"memory://dhcp-{uuid.uuid4().hex}")
    async for api in serve(url):
        events = Events()
        state = api.state
        state.agents = AgentNotifier(transport)
        state.vif_events = events
        state.dhcp = DhcpNotifier(transport, state.db)
        plugin = PluginEndpoint(state.db, state.agent_down_time, events, state.agents)
        dhcp_plugin = DhcpPluginEndpoint(state.conf, state.db, state.agents, events)
        recorder = RecordingDhcpAgent()
        servers = [
            RpcServer(transport, PLUGIN, plugin, service="network-server"),
            RpcServer(transport, DHCP_PLUGIN, dhcp_plugin, service="network-server"),
            RpcServer(transport, DHCP_AGENT, recorder, service="dhcp", host=HOST),
        ]
        for server in servers:
            await server.start()
        # A slow L2 agent: devices go up only when a test says so.
        l2 = FakeL2Agent(transport, HOST, CONFIG, report_interval=3600, device_delay=3600)
        await l2.start()
        try:
            yield Cloud(api, transport, l2, recorder, events)
        finally:
            await l2.stop()
            for server in servers:
                await server.stop()
            await transport.close()


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Cloud]:
    async for found in _cloud(sqlite_url(tmp_path / "network.sqlite")):
        yield found


@pytest.fixture
async def any_cloud(any_url: str) -> AsyncIterator[Cloud]:
    async for found in _cloud(any_url):
        yield found


async def _network(api: Neutron, **subnet: Any) -> dict[str, Any]:
    net = await api.network(token="alice")
    await api.subnet(net, "10.4.0.0/24", token="alice", **subnet)
    return net


async def _compute_port(api: Neutron, net: dict[str, Any]) -> dict[str, Any]:
    return await api.port(
        net,
        **{"binding:host_id": HOST, "device_id": str(uuid.uuid4()), "device_owner": "compute:nova"},
    )


async def test_agents_list_shows_the_dhcp_agent(cloud: Cloud) -> None:
    agent_id = await cloud.report_dhcp()
    resp = await cloud.api.call("GET", "/v2.0/agents", params={"agent_type": DHCP_AGENT_TYPE})
    assert resp.status_code == 200, resp.text
    (agent,) = [a for a in resp.json()["agents"] if a["agent_type"] == DHCP_AGENT_TYPE]
    assert (agent["id"], agent["binary"], agent["host"]) == (agent_id, DHCP_BINARY, HOST)
    assert (agent["topic"], agent["alive"]) == (DHCP_AGENT, True)


async def test_dhcp_network_is_scheduled_to_live_agent(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    without = await _network(cloud.api, enable_dhcp=False)
    assert await cloud.call(GetActiveNetworks(host=HOST)) == [net["id"]]
    await await_until(
        lambda: NetworkChanged(network_id=net["id"]) in cloud.dhcp.heard, 10, "agent told"
    )
    assert all(getattr(m, "network_id", "") != without["id"] for m in cloud.dhcp.heard)


async def test_agent_started_later_picks_up_dhcp_networks(cloud: Cloud) -> None:
    net = await _network(cloud.api)
    await cloud.report_dhcp("host-late")
    assert await cloud.call(GetActiveNetworks(host="host-late")) == [net["id"]]
    assert await cloud.call(GetActiveNetworks(host="no-such-agent")) == []


async def test_network_info_for_the_agent(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await cloud.api.network(token="alice")
    subnet = await cloud.api.subnet(net, "10.5.0.0/24", token="alice")
    port = await _compute_port(cloud.api, net)
    extra = {
        "dns_nameservers": ["10.5.0.53"],
        "host_routes": [{"destination": "10.9.0.0/16", "nexthop": "10.5.0.254"}],
    }
    resp = await cloud.api.call("PUT", f"/v2.0/subnets/{subnet['id']}", {"subnet": extra})
    assert resp.status_code == 200, resp.text
    info = decode_reply(NetworkInfo, await cloud.call(GetNetworkInfo(net["id"], HOST)))
    assert (info.id, info.mtu, info.isolated, info.dhcp_port) == (net["id"], net["mtu"], True, None)
    (sub,) = info.subnets
    assert (sub.id, sub.cidr, sub.gateway_ip) == (subnet["id"], "10.5.0.0/24", "10.5.0.1")
    assert sub.dns_nameservers == ["10.5.0.53"]
    assert [(r.destination, r.nexthop) for r in sub.host_routes] == [("10.9.0.0/16", "10.5.0.254")]
    (found,) = info.ports
    address = port["fixed_ips"][0]["ip_address"]
    assert (found.id, found.mac_address) == (port["id"], port["mac_address"])
    assert [ip.ip_address for ip in found.fixed_ips] == [address]
    assert found.hostname == "host-" + address.replace(".", "-")
    gone = await cloud.call(GetNetworkInfo(str(uuid.uuid4()), HOST))
    assert gone["id"] == ""


async def test_dhcp_port_is_made_bound_and_found_again(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    made = decode_reply(PortInfo, await cloud.call(CreateDhcpPort(net["id"], HOST)))
    again = decode_reply(PortInfo, await cloud.call(CreateDhcpPort(net["id"], HOST)))
    assert made.id and again.id == made.id
    assert [ip.ip_address for ip in made.fixed_ips] == ["10.4.0.2"]
    resp = await cloud.api.call("GET", f"/v2.0/ports/{made.id}")
    shown = resp.json()["port"]
    assert shown["device_owner"] == DHCP_OWNER
    assert shown["device_id"] == dhcp_device_id(HOST, net["id"])
    assert (shown["binding:host_id"], shown["binding:vif_type"]) == (HOST, "bridge")
    info = decode_reply(NetworkInfo, await cloud.call(GetNetworkInfo(net["id"], HOST)))
    assert info.dhcp_port is not None and info.dhcp_port.id == made.id
    # The L2 agent of the host was told to wire its tap.
    await await_until(lambda: len(cloud.l2._wiring) == 1, 10, "L2 agent wiring the tap")


async def test_no_dhcp_port_on_a_network_without_dhcp(cloud: Cloud) -> None:
    net = await _network(cloud.api, enable_dhcp=False)
    made = await cloud.call(CreateDhcpPort(net["id"], HOST))
    assert made["id"] == ""
    assert (await cloud.call(CreateDhcpPort(str(uuid.uuid4()), HOST)))["id"] == ""


async def test_concurrent_dhcp_port_requests_make_one_port(any_cloud: Cloud) -> None:
    await any_cloud.report_dhcp()
    net = await _network(any_cloud.api)
    calls = [any_cloud.call(CreateDhcpPort(net["id"], HOST)) for _ in range(4)]
    made = await asyncio.gather(*calls)
    assert len({port["id"] for port in made}) == 1
    resp = await any_cloud.api.call(
        "GET", "/v2.0/ports", params={"network_id": net["id"], "device_owner": DHCP_OWNER}
    )
    assert [p["id"] for p in resp.json()["ports"]] == [made[0]["id"]]


async def test_port_waits_for_dhcp_then_l2(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    port = await _compute_port(cloud.api, net)
    assert port["status"] == "DOWN"
    assert await cloud.call(DhcpReady([port["id"]], HOST)) == []
    assert await cloud.status_of(port["id"]) == "DOWN"
    assert cloud.l2.fdb == set()
    await cloud.l2.device_up(port["id"])
    assert await cloud.status_of(port["id"]) == "ACTIVE"
    assert [p.port_id for p in cloud.events.plugged_ports] == [port["id"]]
    await await_until(lambda: _announced(cloud, port), 5, "FdbAdd for the port")


async def test_port_waits_for_l2_then_dhcp(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    port = await _compute_port(cloud.api, net)
    await cloud.l2.device_up(port["id"])
    assert await cloud.status_of(port["id"]) == "DOWN"
    assert cloud.events.plugged_ports == []
    assert cloud.l2.fdb == set()  # not ACTIVE yet: the other hosts must not learn of it
    assert await cloud.call(DhcpReady([port["id"]], HOST)) == [port["id"]]
    assert await cloud.status_of(port["id"]) == "ACTIVE"
    assert [p.port_id for p in cloud.events.plugged_ports] == [port["id"]]
    # The readiness that made it ACTIVE also tells the L2 agents where it lives.
    await await_until(lambda: _announced(cloud, port), 5, "FdbAdd for the port")


async def _announced(cloud: Cloud, port: dict[str, Any]) -> bool:
    return (port["network_id"], VTEP, port["mac_address"]) in cloud.l2.fdb


async def test_agent_is_told_of_port_changes(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    port = await _compute_port(cloud.api, net)
    told = PortChanged(network_id=net["id"], port_id=port["id"])
    await await_until(lambda: told in cloud.dhcp.heard, 10, "told of the port")
    assert (await cloud.api.call("DELETE", f"/v2.0/ports/{port['id']}")).status_code == 204
    removed = PortRemoved(network_id=net["id"], port_id=port["id"])
    await await_until(lambda: removed in cloud.dhcp.heard, 10, "told of the removal")
    assert (await cloud.api.call("DELETE", f"/v2.0/networks/{net['id']}")).status_code == 204
    gone = NetworkRemoved(network_id=net["id"])
    await await_until(lambda: gone in cloud.dhcp.heard, 10, "told of the network's removal")


async def test_without_a_dhcp_agent_l2_alone_activates(cloud: Cloud) -> None:
    net = await _network(cloud.api)
    port = await _compute_port(cloud.api, net)
    await cloud.l2.device_up(port["id"])
    assert await cloud.status_of(port["id"]) == "ACTIVE"


async def test_a_dead_dhcp_agent_holds_no_port_back(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    async with cloud.api.state.db.session() as s:
        await s.execute(
            update(Agent)
            .where(Agent.agent_type == DHCP_AGENT_TYPE)
            .values(heartbeat_timestamp=time.time() - 3600)
        )
    port = await _compute_port(cloud.api, net)
    await cloud.l2.device_up(port["id"])
    assert await cloud.status_of(port["id"]) == "ACTIVE"


async def test_port_without_dhcp_subnet_address_is_not_held(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api, enable_dhcp=False)
    port = await _compute_port(cloud.api, net)
    await cloud.l2.device_up(port["id"])
    assert await cloud.status_of(port["id"]) == "ACTIVE"


async def test_dhcp_agents_of_a_network_and_networks_of_an_agent(cloud: Cloud) -> None:
    agent_id = await cloud.report_dhcp()
    net = await _network(cloud.api)
    await _network(cloud.api, enable_dhcp=False)
    resp = await cloud.api.call("GET", f"/v2.0/networks/{net['id']}/dhcp-agents")
    assert resp.status_code == 200, resp.text
    assert [(a["id"], a["host"]) for a in resp.json()["agents"]] == [(agent_id, HOST)]
    resp = await cloud.api.call("GET", f"/v2.0/agents/{agent_id}/dhcp-networks")
    assert resp.status_code == 200, resp.text
    assert [n["id"] for n in resp.json()["networks"]] == [net["id"]]
    ext = await cloud.api.call("GET", "/v2.0/extensions/dhcp_agent_scheduler")
    assert ext.json()["extension"]["name"] == "DHCP Agent Scheduler"


async def test_dhcp_scheduler_views_are_for_admins_and_404_unknown_ids(cloud: Cloud) -> None:
    agent_id = await cloud.report_dhcp()
    net = await _network(cloud.api)
    resp = await cloud.api.call("GET", f"/v2.0/networks/{net['id']}/dhcp-agents", token="alice")
    assert resp.status_code == 403
    resp = await cloud.api.call("GET", f"/v2.0/agents/{agent_id}/dhcp-networks", token="alice")
    assert resp.status_code == 403
    resp = await cloud.api.call("GET", f"/v2.0/networks/{uuid.uuid4()}/dhcp-agents")
    assert error_of(resp)[:2] == (404, "NetworkNotFound")
    resp = await cloud.api.call("GET", f"/v2.0/agents/{uuid.uuid4()}/dhcp-networks")
    assert error_of(resp)[:2] == (404, "AgentNotFound")


async def test_released_dhcp_port_is_deleted_and_unwired(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await _network(cloud.api)
    made = await cloud.call(CreateDhcpPort(net["id"], HOST))
    await cloud.l2.device_up(made["id"])
    assert tap_name(made["id"]) in cloud.l2.devices
    assert await cloud.call(ReleaseDhcpPort(net["id"], HOST)) is True
    assert (await cloud.api.call("GET", f"/v2.0/ports/{made['id']}")).status_code == 404
    await await_until(lambda: tap_name(made["id"]) not in cloud.l2.devices, 10, "tap unwired")
    assert await cloud.call(ReleaseDhcpPort(net["id"], HOST)) is False


async def test_a_router_interface_tells_the_dhcp_agent_the_network_is_routed(cloud: Cloud) -> None:
    await cloud.report_dhcp()
    net = await cloud.api.network(token="alice")
    sub = await cloud.api.subnet(net, "10.6.0.0/24", token="alice")
    info = decode_reply(NetworkInfo, await cloud.call(GetNetworkInfo(net["id"], HOST)))
    assert info.isolated
    body = {"router": {}}
    router = (await cloud.api.call("POST", "/v2.0/routers", body, token="alice")).json()["router"]
    path = f"/v2.0/routers/{router['id']}/add_router_interface"
    added = (await cloud.api.call("PUT", path, {"subnet_id": sub["id"]}, token="alice")).json()

    told = PortChanged(network_id=net["id"], port_id=added["port_id"])
    await await_until(lambda: told in cloud.dhcp.heard, 10, "DHCP agent told of the interface")
    info = decode_reply(NetworkInfo, await cloud.call(GetNetworkInfo(net["id"], HOST)))
    assert not info.isolated
    path = f"/v2.0/routers/{router['id']}/remove_router_interface"
    await cloud.api.call("PUT", path, {"subnet_id": sub["id"]}, token="alice")
    removed = PortRemoved(network_id=net["id"], port_id=added["port_id"])
    await await_until(lambda: removed in cloud.dhcp.heard, 10, "DHCP agent told of the removal")
    info = decode_reply(NetworkInfo, await cloud.call(GetNetworkInfo(net["id"], HOST)))
    assert info.isolated
