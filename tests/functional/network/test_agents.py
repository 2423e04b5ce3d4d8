"""The agents' contract: state reports, ``/v2.0/agents``, binding, and devices going up.

The networking app runs in-process with its RPC endpoint and a fake L2 agent on a
private ``memory://`` bus; compute's events are recorded as they would be sent.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from nimbostack.core.context import RequestContext
from nimbostack.core.db import Database
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.rpc import RpcClient, RpcServer, Transport, get_transport
from nimbostack.network.agent_messages import (
    LINUXBRIDGE_AGENT,
    PLUGIN,
    AgentConfiguration,
    DeviceDetails,
    GetDeviceDetails,
    ReportState,
    UpdateDeviceUp,
    tap_name,
)
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.db.models import Agent
from nimbostack.network.objects import agents
from nimbostack.network.objects.binding import Provisioned
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, error_of, serve
from tests.support.waiting import await_until

HOST = "host-a"
CONFIG = AgentConfiguration(bridge_mappings={"public": "br-ex"}, tunnel_types=["vxlan"])


class Events:
    """Compute's side of ``network-vif-plugged``: the ports as they were sent."""

    def __init__(self) -> None:
        self.plugged_ports: list[Provisioned] = []

    async def plugged(self, port: Provisioned) -> None:
        self.plugged_ports.append(port)


@dataclass
class Wired:
    api: Neutron
    transport: Transport
    agent: FakeL2Agent
    events: Events

    async def port_of(self, port_id: str) -> dict[str, Any]:
        resp = await self.api.call("GET", f"/v2.0/ports/{port_id}")
        assert resp.status_code == 200, resp.text
        found: dict[str, Any] = resp.json()["port"]
        return found

    async def status_is(self, port_id: str, status: str) -> dict[str, Any] | None:
        port = await self.port_of(port_id)
        return port if port["status"] == status else None


async def _wired(url: str) -> AsyncIterator[Wired]:
    transport = get_transport(f"memory://agents-{uuid.uuid4().hex}")
    async for api in serve(url):
        events = Events()
        state = api.state
        state.agents = AgentNotifier(transport)
        state.vif_events = events
        endpoint = PluginEndpoint(state.db, state.agent_down_time, events)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        agent = FakeL2Agent(transport, HOST, CONFIG, report_interval=3600)
        await agent.start()
        try:
            yield Wired(api, transport, agent, events)
        finally:
            await agent.stop()
            await server.stop()
            await transport.close()


@pytest.fixture
async def wired(tmp_path: Path) -> AsyncIterator[Wired]:
    async for found in _wired(sqlite_url(tmp_path / "network.sqlite")):
        yield found


@pytest.fixture
async def any_wired(any_url: str) -> AsyncIterator[Wired]:
    """The same on SQLite, then on PostgreSQL."""
    async for found in _wired(any_url):
        yield found


async def _private(api: Neutron) -> dict[str, Any]:
    net = await api.network(token="alice")
    await api.subnet(net, "10.1.0.0/24", token="alice")
    return net


async def test_agents_list_shows_reported_agent_alive(wired: Wired) -> None:
    resp = await wired.api.call("GET", "/v2.0/agents")
    assert resp.status_code == 200, resp.text
    (agent,) = resp.json()["agents"]
    assert agent["agent_type"] == LINUXBRIDGE_AGENT
    assert agent["host"] == HOST
    assert agent["alive"] is True
    assert agent["binary"] == "neutron-linuxbridge-agent"
    assert agent["configurations"]["bridge_mappings"] == {"public": "br-ex"}
    assert agent["configurations"]["tunnel_types"] == ["vxlan"]
    shown = await wired.api.call("GET", f"/v2.0/agents/{agent['id']}")
    assert shown.json()["agent"]["id"] == agent["id"]


async def test_agents_are_for_admins(wired: Wired) -> None:
    # A user lists none (as Neutron answers) and cannot show one.
    resp = await wired.api.call("GET", "/v2.0/agents", token="alice")
    assert resp.status_code == 200 and resp.json() == {"agents": []}
    assert (await wired.api.call("GET", "/v2.0/agents")).json()["agents"]
    [agent] = (await wired.api.call("GET", "/v2.0/agents")).json()["agents"][:1]
    resp = await wired.api.call("GET", f"/v2.0/agents/{agent['id']}", token="alice")
    assert error_of(resp)[0] == 403


async def test_unknown_agent_is_404(wired: Wired) -> None:
    resp = await wired.api.call("GET", f"/v2.0/agents/{uuid.uuid4()}")
    assert error_of(resp)[:2] == (404, "AgentNotFound")


async def test_agent_extension_is_listed(wired: Wired) -> None:
    resp = await wired.api.call("GET", "/v2.0/extensions/agent")
    assert resp.status_code == 200


async def test_concurrent_first_reports_make_one_agent(any_wired: Wired) -> None:
    """A first report that loses the insert to another becomes an update of its row."""
    db = any_wired.api.state.db
    msg = ReportState(LINUXBRIDGE_AGENT, "b", "host-new", "network.l2", AgentConfiguration())
    async with db.session() as s:
        first = await agents.report(s, msg)
        # The second report inserts while the first's insert is not committed yet (on
        # PostgreSQL; SQLite runs one write transaction at a time, so it waits instead).
        second = asyncio.create_task(_report_alone(db, msg))
        if db.url.startswith("postgresql"):
            await await_until(lambda: _waiting_on_lock(db), 10, "second insert waiting")
    assert await second == first
    resp = await any_wired.api.call("GET", "/v2.0/agents", params={"host": "host-new"})
    assert [a["id"] for a in resp.json()["agents"]] == [first]


async def _report_alone(db: Database, msg: ReportState) -> str:
    async with db.session() as s:
        return await agents.report(s, msg)


async def _waiting_on_lock(db: Database) -> bool:
    async with db.reader() as s:
        waiting = await s.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    return bool(waiting)


async def test_port_bound_to_agent_host_goes_active(wired: Wired) -> None:
    net = await _private(wired.api)
    server = str(uuid.uuid4())
    port = await wired.api.port(
        net,
        **{"binding:host_id": HOST, "device_id": server, "device_owner": "compute:nova"},
    )
    assert port["binding:vif_type"] == "bridge"
    assert port["binding:vif_details"]["bridge_name"] == f"brq{net['id'][:11]}"
    assert port["status"] == "DOWN"
    await await_until(lambda: wired.status_is(port["id"], "ACTIVE"), 10, "port ACTIVE")
    assert tap_name(port["id"]) in wired.agent.devices
    assert wired.agent.devices[tap_name(port["id"])].fixed_ips == [
        ip["ip_address"] for ip in port["fixed_ips"]
    ]
    (event,) = wired.events.plugged_ports
    assert (event.port_id, event.device_id) == (port["id"], server)


async def test_port_of_no_compute_device_sends_no_event(wired: Wired) -> None:
    net = await _private(wired.api)
    port = await wired.api.port(net, **{"binding:host_id": HOST})
    await await_until(lambda: wired.status_is(port["id"], "ACTIVE"), 10, "port ACTIVE")
    assert wired.events.plugged_ports == []


async def test_host_without_agent_fails_binding(wired: Wired) -> None:
    net = await _private(wired.api)
    port = await wired.api.port(net, **{"binding:host_id": "nowhere"})
    assert port["binding:vif_type"] == "binding_failed"
    assert port["status"] == "DOWN"


async def test_agent_past_down_time_fails_binding(wired: Wired) -> None:
    async with wired.api.state.db.session() as s:
        await s.execute(update(Agent).values(heartbeat_timestamp=time.time() - 3600))
    net = await _private(wired.api)
    port = await wired.api.port(net, **{"binding:host_id": HOST})
    assert port["binding:vif_type"] == "binding_failed"
    resp = await wired.api.call("GET", "/v2.0/agents")
    assert resp.json()["agents"][0]["alive"] is False


async def test_flat_network_binds_only_on_mapped_physnet(wired: Wired) -> None:
    mapped = await wired.api.network(
        **{"provider:network_type": "flat", "provider:physical_network": "public"}
    )
    await wired.api.subnet(mapped, "172.24.4.0/24")
    port = await wired.api.port(mapped, **{"binding:host_id": HOST})
    assert port["binding:vif_type"] == "bridge"
    other = await wired.api.network(
        **{"provider:network_type": "vlan", "provider:physical_network": "physnet1"}
    )
    await wired.api.subnet(other, "10.9.0.0/24")
    port = await wired.api.port(other, **{"binding:host_id": HOST})
    assert port["binding:vif_type"] == "binding_failed"


async def test_binding_a_port_later_by_update(wired: Wired) -> None:
    net = await _private(wired.api)
    port = await wired.api.port(net)
    assert port["binding:vif_type"] == "unbound"
    resp = await wired.api.call(
        "PUT", f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": HOST}}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["port"]["binding:vif_type"] == "bridge"
    await await_until(lambda: wired.status_is(port["id"], "ACTIVE"), 10, "port ACTIVE")


async def test_unbinding_a_port_takes_it_down(wired: Wired) -> None:
    net = await _private(wired.api)
    port = await wired.api.port(net, **{"binding:host_id": HOST})
    await await_until(lambda: wired.status_is(port["id"], "ACTIVE"), 10, "port ACTIVE")
    resp = await wired.api.call(
        "PUT", f"/v2.0/ports/{port['id']}", {"port": {"binding:host_id": ""}}
    )
    shown = resp.json()["port"]
    assert (shown["binding:vif_type"], shown["status"]) == ("unbound", "DOWN")
    await await_until(lambda: tap_name(port["id"]) not in wired.agent.devices, 10, "device removed")


async def test_deleted_port_leaves_the_agent(wired: Wired) -> None:
    net = await _private(wired.api)
    port = await wired.api.port(net, **{"binding:host_id": HOST})
    device = tap_name(port["id"])
    await await_until(lambda: device in wired.agent.devices, 10, "device wired")
    resp = await wired.api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert resp.status_code == 204
    await await_until(lambda: device not in wired.agent.devices, 10, "device removed")


async def test_device_up_from_another_host_changes_nothing(wired: Wired) -> None:
    net = await _private(wired.api)
    port = await wired.api.port(net, **{"binding:host_id": "nowhere"})
    client = RpcClient(wired.transport, PLUGIN)
    msg = UpdateDeviceUp(device=tap_name(port["id"]), host=HOST)
    assert await client.call(RequestContext.admin(), msg) is False
    assert (await wired.port_of(port["id"]))["status"] == "DOWN"


async def test_rule_changes_reach_the_agents(wired: Wired) -> None:
    group = await wired.api.create("security_group", "alice", name="web")
    rule = await wired.api.create(
        "security_group_rule", "alice", security_group_id=group["id"], direction="ingress"
    )
    await await_until(lambda: wired.agent.refiltered == [group["id"]], 10, "told of the rule")
    resp = await wired.api.call("DELETE", f"/v2.0/security-group-rules/{rule['id']}")
    assert resp.status_code == 204
    await await_until(lambda: len(wired.agent.refiltered) == 2, 10, "told of the removal")


async def test_network_delete_reaches_the_agents(wired: Wired) -> None:
    net = await _private(wired.api)
    # A device the agent still has on the network (say it missed the port's delete).
    stale = DeviceDetails(device="tapstale", port_id="stale", network_id=net["id"])
    wired.agent.devices["tapstale"] = stale
    resp = await wired.api.call("DELETE", f"/v2.0/networks/{net['id']}")
    assert resp.status_code == 204, resp.text
    await await_until(lambda: "tapstale" not in wired.agent.devices, 10, "bridge removed")


async def test_a_short_device_name_matches_no_port(wired: Wired) -> None:
    net = await _private(wired.api)
    await wired.api.port(net, **{"binding:host_id": HOST})
    client = RpcClient(wired.transport, PLUGIN)
    found = await client.call(RequestContext.admin(), GetDeviceDetails(device="tap", host=HOST))
    assert found["port_id"] == ""
