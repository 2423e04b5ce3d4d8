"""``GetInstanceForAddress``: the metadata agent's lookup of a guest by network or router.

The lookup runs over a private ``memory://`` bus against the plugin endpoint, exactly
as the metadata agent calls it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nimbostack.core.context import RequestContext
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.rpc import RpcClient, RpcServer, get_transport
from nimbostack.network.agent_messages import PLUGIN
from nimbostack.network.db.models import Router, RouterPort
from nimbostack.network.metadata_messages import GetInstanceForAddress, InstancePort
from nimbostack.network.plugin_rpc import PluginEndpoint
from tests.functional.network.conftest import PROJECTS, Neutron, serve


@dataclass
class Lookup:
    api: Neutron
    client: RpcClient

    async def __call__(
        self, ip: str, network_id: str | None = None, router_id: str | None = None
    ) -> InstancePort:
        msg = GetInstanceForAddress(ip_address=ip, network_id=network_id, router_id=router_id)
        raw = await self.client.call(RequestContext.admin(), msg)
        assert isinstance(raw, dict)
        return InstancePort(**raw)


@pytest.fixture
async def lookup(tmp_path: Path) -> AsyncIterator[Lookup]:
    transport = get_transport(f"memory://metadata-{uuid.uuid4().hex}")
    async for api in serve(sqlite_url(tmp_path / "network.sqlite")):
        endpoint = PluginEndpoint(api.state.db, api.state.agent_down_time, None)
        server = RpcServer(transport, PLUGIN, endpoint, service="network-server")
        await server.start()
        try:
            yield Lookup(api, RpcClient(transport, PLUGIN, timeout=10, service="test"))
        finally:
            await server.stop()
            await transport.close()


async def _net(api: Neutron, token: str, cidr: str = "10.9.0.0/24") -> dict[str, Any]:
    net = await api.network(token=token)
    await api.subnet(net, cidr, token=token)
    return net


async def _vm_port(api: Neutron, net: dict[str, Any], token: str, ip: str) -> dict[str, Any]:
    device = str(uuid.uuid4())
    return await api.port(
        net,
        token=token,
        device_id=device,
        device_owner="compute:nova",
        fixed_ips=[{"ip_address": ip}],
    )


async def _router(api: Neutron, net: dict[str, Any], token: str) -> str:
    """A router with an interface on ``net`` (rows as the routers API records them)."""
    router_id = str(uuid.uuid4())
    port = await api.port(net, token="admin", device_owner="network:router_interface")
    now = time.time()
    async with api.state.db.session() as s:
        s.add(Router(id=router_id, project_id=PROJECTS[token], created_at=now, updated_at=now))
        await s.flush()
        s.add(RouterPort(router_id=router_id, port_id=port["id"], port_type=port["device_owner"]))
    return router_id


async def test_one_compute_port_on_the_network_is_found(lookup: Lookup) -> None:
    net = await _net(lookup.api, "alice")
    port = await _vm_port(lookup.api, net, "alice", "10.9.0.7")
    found = await lookup("10.9.0.7", network_id=net["id"])
    assert found == InstancePort(port["device_id"], PROJECTS["alice"])
    assert await lookup("::ffff:10.9.0.7", network_id=net["id"]) == found


async def test_no_port_or_no_compute_port_is_not_found(lookup: Lookup) -> None:
    net = await _net(lookup.api, "alice")
    await lookup.api.port(net, token="alice", fixed_ips=[{"ip_address": "10.9.0.8"}])
    assert await lookup("10.9.0.8", network_id=net["id"]) == InstancePort()
    assert await lookup("10.9.0.9", network_id=net["id"]) == InstancePort()
    assert await lookup("not-an-address", network_id=net["id"]) == InstancePort()


async def test_overlapping_address_of_another_project_is_never_returned(lookup: Lookup) -> None:
    mine = await _net(lookup.api, "alice")
    theirs = await _net(lookup.api, "bob")
    bobs = await _vm_port(lookup.api, theirs, "bob", "10.9.0.7")
    assert await lookup("10.9.0.7", network_id=mine["id"]) == InstancePort()
    router = await _router(lookup.api, mine, "alice")
    assert await lookup("10.9.0.7", router_id=router) == InstancePort()
    alices = await _vm_port(lookup.api, mine, "alice", "10.9.0.7")
    found = await lookup("10.9.0.7", router_id=router)
    assert found.device_id == alices["device_id"] != bobs["device_id"]
    assert found.tenant_id == PROJECTS["alice"]


async def test_router_lookup_spans_its_interface_networks_only(lookup: Lookup) -> None:
    first = await _net(lookup.api, "alice", "10.9.0.0/24")
    second = await _net(lookup.api, "alice", "10.8.0.0/24")
    router = await _router(lookup.api, first, "alice")
    await _vm_port(lookup.api, second, "alice", "10.8.0.5")
    assert await lookup("10.8.0.5", router_id=router) == InstancePort()
    port = await _vm_port(lookup.api, first, "alice", "10.9.0.5")
    assert (await lookup("10.9.0.5", router_id=router)).device_id == port["device_id"]


async def test_both_ids_or_neither_find_nothing(lookup: Lookup) -> None:
    net = await _net(lookup.api, "alice")
    await _vm_port(lookup.api, net, "alice", "10.9.0.7")
    router = await _router(lookup.api, net, "alice")
    assert await lookup("10.9.0.7", network_id=net["id"], router_id=router) == InstancePort()
    assert await lookup("10.9.0.7") == InstancePort()
