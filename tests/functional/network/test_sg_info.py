"""Security groups for the firewalls: ``GetSecurityGroupsInfo``, device details, fan-outs.

The networking app runs in-process with its RPC endpoint and a fake L2 agent on a
private ``memory://`` bus; the agent records the groups each ``SecurityGroupsChanged``
names.
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
from nimbostack.core.rpc import RpcClient, RpcServer, decode_reply, get_transport
from nimbostack.network.agent_messages import (
    PLUGIN,
    AddressPair,
    AgentConfiguration,
    DeviceDetails,
    GetDeviceDetails,
    GetSecurityGroupsInfo,
    SecurityGroupsInfo,
    tap_name,
)
from nimbostack.network.agents.fake import FakeL2Agent
from nimbostack.network.plugin_rpc import AgentNotifier, PluginEndpoint
from tests.functional.network.conftest import Neutron, serve
from tests.support.waiting import await_until

HOST = "host-sg"


@dataclass
class Plugged:
    api: Neutron
    plugin: RpcClient
    agent: FakeL2Agent

    async def info(self, *group_ids: str) -> SecurityGroupsInfo:
        msg = GetSecurityGroupsInfo(security_group_ids=list(group_ids))
        return decode_reply(SecurityGroupsInfo, await self.plugin.call(RequestContext.admin(), msg))

    async def refiltered_with(self, *group_ids: str) -> bool:
        """Whether the last fan-out named exactly these groups; forget it."""
        told = set(self.agent.refiltered)
        self.agent.refiltered.clear()
        return told == set(group_ids)


@pytest.fixture
async def plugged(tmp_path: Path) -> AsyncIterator[Plugged]:
    transport = get_transport(f"memory://sg-{uuid.uuid4().hex}")
    async for api in serve(sqlite_url(tmp_path / "network.sqlite")):
        api.state.agents = AgentNotifier(transport)
        endpoint = PluginEndpoint(api.state.db, api.state.agent_down_time, None)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        agent = FakeL2Agent(transport, HOST, AgentConfiguration(tunnel_types=["vxlan"]))
        await agent.start()
        try:
            yield Plugged(api, RpcClient(transport, PLUGIN, timeout=10), agent)
        finally:
            await agent.stop()
            await server.stop()
            await transport.close()


async def _net(api: Neutron) -> dict[str, Any]:
    net = await api.network(token="alice")
    await api.subnet(net, "10.3.0.0/24", token="alice")
    return net


async def _group(api: Neutron, name: str) -> dict[str, Any]:
    return await api.create("security_group", "alice", name=name)


async def test_info_has_rules_remote_members_and_address_groups(plugged: Plugged) -> None:
    api = plugged.api
    web, db = await _group(api, "web"), await _group(api, "db")
    ag = await api.create("address_group", "alice", name="office", addresses=["192.0.2.0/28"])
    from_web = await api.create(
        "security_group_rule", "alice", security_group_id=db["id"], direction="ingress",
        protocol="tcp", port_range_min=5432, port_range_max=5432, remote_group_id=web["id"],
    )  # fmt: skip
    await api.create(
        "security_group_rule", "alice", security_group_id=db["id"], direction="ingress",
        protocol="icmp", port_range_min=8, remote_address_group_id=ag["id"],
    )  # fmt: skip
    net = await _net(api)
    member = await api.port(
        net, "alice", security_groups=[web["id"]],
        allowed_address_pairs=[{"ip_address": "10.3.9.0/24"}],
    )  # fmt: skip
    await api.port(net, "alice", security_groups=[db["id"]])  # not a member of web

    found = await plugged.info(db["id"], str(uuid.uuid4()))
    (group,) = found.groups
    assert group.id == db["id"]
    tcp = next(r for r in group.rules if r.id == from_web["id"])
    assert (tcp.direction, tcp.ethertype, tcp.protocol) == ("ingress", "IPv4", "tcp")
    assert (tcp.port_range_min, tcp.port_range_max) == (5432, 5432)
    icmp = next(r for r in group.rules if r.protocol == "icmp")
    assert (icmp.port_range_min, icmp.remote_address_group_id) == (8, ag["id"])
    (remote,) = found.remote_groups
    ip = member["fixed_ips"][0]["ip_address"]
    assert (remote.id, sorted(remote.addresses)) == (web["id"], sorted([ip, "10.3.9.0/24"]))
    (named,) = found.address_groups
    assert (named.id, named.addresses) == (ag["id"], ["192.0.2.0/28"])


async def test_device_details_carry_address_pairs_and_owner(plugged: Plugged) -> None:
    net = await _net(plugged.api)
    port = await plugged.api.port(
        net, device_owner="compute:nova", allowed_address_pairs=[
            {"ip_address": "10.3.0.200", "mac_address": "fa:16:3e:00:00:01"}
        ], **{"binding:host_id": HOST},
    )  # fmt: skip
    msg = GetDeviceDetails(device=tap_name(port["id"]), host=HOST)
    found = decode_reply(DeviceDetails, await plugged.plugin.call(RequestContext.admin(), msg))
    assert found.device_owner == "compute:nova"
    assert found.allowed_address_pairs == [AddressPair("10.3.0.200", "fa:16:3e:00:00:01")]


async def test_members_changing_reach_the_agents(plugged: Plugged) -> None:
    api = plugged.api
    web, db = await _group(api, "web"), await _group(api, "db")
    await api.create(
        "security_group_rule", "alice", security_group_id=db["id"], direction="ingress",
        remote_group_id=web["id"],
    )  # fmt: skip
    plugged.agent.refiltered.clear()
    net = await _net(api)
    port = await api.port(net, "alice", security_groups=[web["id"]])
    # A new member of web: web's ports, and db's (whose rules name web), refilter.
    await await_until(lambda: plugged.refiltered_with(web["id"], db["id"]), 10, "join")

    path = f"/v2.0/ports/{port['id']}"
    body = {"port": {"fixed_ips": [{"ip_address": "10.3.0.77"}]}}
    assert (await api.call("PUT", path, body)).status_code == 200
    await await_until(lambda: plugged.refiltered_with(web["id"], db["id"]), 10, "new address")

    body = {"port": {"allowed_address_pairs": [{"ip_address": "10.3.0.78"}]}}
    assert (await api.call("PUT", path, body)).status_code == 200
    await await_until(lambda: plugged.refiltered_with(web["id"], db["id"]), 10, "new pair")

    body = {"port": {"security_groups": [db["id"]]}}
    assert (await api.call("PUT", path, body)).status_code == 200
    await await_until(lambda: plugged.refiltered_with(web["id"], db["id"]), 10, "moved")

    assert (await api.call("DELETE", path)).status_code == 204
    await await_until(lambda: plugged.refiltered_with(db["id"]), 10, "left")


async def test_address_group_changes_reach_groups_using_it(plugged: Plugged) -> None:
    api = plugged.api
    db = await _group(api, "db")
    ag = await api.create("address_group", "alice", name="office", addresses=[])
    await api.create(
        "security_group_rule", "alice", security_group_id=db["id"], direction="ingress",
        remote_address_group_id=ag["id"],
    )  # fmt: skip
    plugged.agent.refiltered.clear()
    path = f"/v2.0/address-groups/{ag['id']}"
    resp = await api.call("PUT", f"{path}/add_addresses", {"addresses": ["198.51.100.0/24"]})
    assert resp.status_code == 200, resp.text
    await await_until(lambda: plugged.refiltered_with(db["id"]), 10, "added")
    resp = await api.call("PUT", f"{path}/remove_addresses", {"addresses": ["198.51.100.0/24"]})
    assert resp.status_code == 200, resp.text
    await await_until(lambda: plugged.refiltered_with(db["id"]), 10, "removed")
