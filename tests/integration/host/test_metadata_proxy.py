"""The metadata path on real namespaces: guest -> haproxy -> agent -> compute's metadata API.

A qdhcp namespace holds 169.254.169.254/32 on a veth into a test bridge, as the DHCP
agent leaves it; a "guest" namespace on the same bridge uses the fixed IP of a real
port. Networking (its plugin endpoint on a private bus) and compute's metadata API
(on a real TCP port) run in-process; the agent and haproxy are the real ones.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nimbostack.compute.service import METADATA_API
from nimbostack.core import netdev
from nimbostack.core.db.engine import sqlite_url
from nimbostack.core.http import HttpServer
from nimbostack.core.process import run
from nimbostack.core.rpc import RpcServer, get_transport
from nimbostack.core.runtime import bind_socket
from nimbostack.core.service import api_app
from nimbostack.network.agent_messages import PLUGIN
from nimbostack.network.agents.metadata.proxies import HaproxyProxies
from nimbostack.network.agents.metadata.service import HostMetadataAgent, start_metadata_agent
from nimbostack.network.db.models import Router, RouterPort
from nimbostack.network.plugin_rpc import PluginEndpoint
from tests.functional.compute.api_support import Compute, compute_api
from tests.functional.network.conftest import PROJECTS, Neutron, network_conf, serve
from tests.support.requires import require, require_tools

pytestmark = pytest.mark.asyncio
SECRET = "integration-secret"
GUEST_IP = "10.66.0.7"
STRANGER_IP = "10.66.0.99"
DHCP_IP = "10.66.0.2"


@dataclass
class Cloud:
    neutron: Neutron
    compute: Compute
    agent: HostMetadataAgent
    data_dir: Path
    metadata_api: HttpServer


@dataclass
class Wires:
    tag: str
    bridge: str
    namespace: str
    guest: str


async def _compute_metadata(compute: Compute) -> HttpServer:
    compute.state.conf.override("metadata", shared_secret=SECRET)
    app = api_app(METADATA_API, compute.state, validator=None, enforcer=None)
    server = HttpServer(app, bind_socket("127.0.0.1", 0, "metadata"), "compute-metadata")
    await server.start()
    return server


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Cloud]:
    require_tools("ip", "haproxy", "curl", why="namespaces and the metadata proxy")
    require(os.geteuid() == 0, "root", "creating namespaces")
    transport = get_transport(f"memory://metadata-{uuid.uuid4().hex}")
    async with compute_api(tmp_path) as compute:
        server = await _compute_metadata(compute)
        async for neutron in serve(sqlite_url(tmp_path / "network.sqlite")):
            endpoint = PluginEndpoint(neutron.state.db, neutron.state.agent_down_time, None)
            plugin = RpcServer(transport, PLUGIN, endpoint, service="network-server")
            await plugin.start()
            conf = network_conf(
                metadata={"shared_secret": SECRET},
                network_metadata={"nova_metadata_host": "127.0.0.1", "cache_ttl": 0.0},
            )
            conf.override("network_metadata", nova_metadata_port=server.port)
            agent = await start_metadata_agent(conf, transport, tmp_path / "data")
            try:
                yield Cloud(neutron, compute, agent, tmp_path / "data", server)
            finally:
                await agent.stop()
                await plugin.stop()
        await server.stop()
    await transport.close()


async def _cleanup(wires: Wires, proxies: HaproxyProxies) -> None:
    await proxies.remove(wires.namespace)
    for name in (wires.bridge, f"md{wires.tag}d", f"md{wires.tag}g"):
        await netdev.delete(name)
    for namespace in (wires.namespace, wires.guest):
        await netdev.delete_namespace(namespace)


async def _plug(wires: Wires, name: str, namespace: str, cidrs: list[str]) -> None:
    inside = f"{name}i"
    await netdev.add_veth(name, inside, peer_netns=namespace)
    await netdev.set_master(name, wires.bridge)
    await netdev.set_up(name)
    for cidr in cidrs:
        await netdev.add_address(inside, cidr, netns=namespace)
    await netdev.set_up(inside, netns=namespace)


async def _wire(wires: Wires) -> None:
    """The DHCP namespace and the guest, on one bridge, as the agents would leave them."""
    await netdev.add_bridge(wires.bridge)
    await netdev.set_up(wires.bridge)
    for namespace in (wires.namespace, wires.guest):
        await netdev.add_namespace(namespace)
    dhcp = [f"{DHCP_IP}/24", "169.254.169.254/32"]
    await _plug(wires, f"md{wires.tag}d", wires.namespace, dhcp)
    await _plug(wires, f"md{wires.tag}g", wires.guest, [f"{GUEST_IP}/24", f"{STRANGER_IP}/24"])
    route = ["route", "add", "169.254.169.254/32", "via", DHCP_IP, "src", GUEST_IP]
    await netdev.ip(*route, netns=wires.guest)


@pytest.fixture
async def network(cloud: Cloud) -> AsyncIterator[tuple[dict[str, str], Wires]]:
    net = await cloud.neutron.network(token="alice")
    await cloud.neutron.subnet(net, "10.66.0.0/24", token="alice")
    tag = uuid.uuid4().hex[:6]
    wires = Wires(tag, f"mdbr{tag}", f"qdhcp-{net['id']}", f"mdguest{tag}")
    try:
        await _wire(wires)
        yield net, wires
    finally:
        await _cleanup(wires, cloud.agent.proxies)


async def _instance_with_port(cloud: Cloud, net: dict[str, str]) -> str:
    uuid_ = await cloud.compute.boot(name="meta-guest")
    await cloud.compute.set_state(uuid_, project_id=PROJECTS["alice"])
    fixed = [{"ip_address": GUEST_IP}]
    await cloud.neutron.port(
        net, token="alice", device_id=uuid_, device_owner="compute:nova", fixed_ips=fixed
    )
    return uuid_


async def _get(
    guest: str, source: str, path: str, *headers: str, host: str = "169.254.169.254"
) -> tuple[int, str]:
    argv = ["ip", "netns", "exec", guest, "curl", "-s", "-m", "20", "--interface", source]
    argv += [arg for header in headers for arg in ("-H", header)]
    url = f"http://{host}{path}"
    done = await run(*argv, "-w", "\n%{http_code}", url, timeout=30)
    body, _, status = done.out.decode().rpartition("\n")
    return int(status or 0), body


async def _haproxies(namespace: str) -> list[int]:
    done = await run("pgrep", "-f", f"haproxy -f .*/{namespace}/haproxy.cfg", timeout=10)
    return [int(pid) for pid in done.out.split()]


async def test_the_guest_gets_its_own_metadata_through_the_namespace_proxy(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    instance = await _instance_with_port(cloud, net)
    await cloud.agent.proxies.ensure(wires.namespace, network_id=net["id"])
    status, body = await _get(wires.guest, GUEST_IP, "/openstack/latest/meta_data.json")
    assert status == 200, body
    meta = json.loads(body)
    assert meta["uuid"] == instance and meta["hostname"] == "meta-guest"
    status, body = await _get(wires.guest, STRANGER_IP, "/openstack/latest/meta_data.json")
    assert status == 404, body


async def test_what_the_guest_claims_about_itself_is_ignored(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    instance = await _instance_with_port(cloud, net)
    await cloud.agent.proxies.ensure(wires.namespace, network_id=net["id"])
    path = "/openstack/latest/meta_data.json"
    spoofed = f"X-Forwarded-For: {GUEST_IP}"
    status, body = await _get(wires.guest, STRANGER_IP, path, spoofed)
    assert status == 404, body
    other = f"X-Neutron-Network-ID: {uuid.uuid4()}"
    status, body = await _get(wires.guest, GUEST_IP, path, other, "X-Neutron-Router-ID: r")
    assert status == 200, body
    assert json.loads(body)["uuid"] == instance


async def test_a_restarted_agent_adopts_the_proxy_and_remove_leaves_nothing(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    proxies = cloud.agent.proxies
    await proxies.ensure(wires.namespace, network_id=net["id"])
    first = await proxies.pid(wires.namespace)
    assert first is not None and await _haproxies(wires.namespace) == [first]
    again = HaproxyProxies(proxies.state_dir, proxies.socket_path)  # the agent restarted
    await again.ensure(wires.namespace, network_id=net["id"])
    assert await again.pid(wires.namespace) == first
    assert await _haproxies(wires.namespace) == [first]
    await again.remove(wires.namespace)
    assert await _haproxies(wires.namespace) == []
    assert not again.directory(wires.namespace).exists()


async def test_resync_removes_the_proxy_of_a_vanished_namespace(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    proxies = cloud.agent.proxies
    await proxies.ensure(wires.namespace, network_id=net["id"])
    await netdev.delete_namespace(wires.namespace)
    assert wires.namespace in await proxies.resync()
    assert await _haproxies(wires.namespace) == []
    assert not proxies.directory(wires.namespace).exists()


async def _router_on(cloud: Cloud, net: dict[str, str], address: str) -> str:
    """A router with an interface on ``net`` at ``address`` (as the routers API records it)."""
    router_id = str(uuid.uuid4())
    port = await cloud.neutron.port(
        net, token="admin", device_owner="network:router_interface",
        device_id=router_id, fixed_ips=[{"ip_address": address}],
    )  # fmt: skip
    now = time.time()
    async with cloud.neutron.state.db.session() as s:
        s.add(Router(id=router_id, project_id=PROJECTS["alice"], created_at=now, updated_at=now))
        await s.flush()
        s.add(RouterPort(router_id=router_id, port_id=port["id"], port_type=port["device_owner"]))
    return router_id


async def test_a_router_namespace_proxy_finds_the_guest_on_the_routers_networks(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    instance = await _instance_with_port(cloud, net)
    router_id = await _router_on(cloud, net, "10.66.0.1")
    namespace = f"qrouter-{router_id}"
    try:
        await netdev.add_namespace(namespace)
        await _plug(wires, f"md{wires.tag}r", namespace, ["10.66.0.1/24"])
        await cloud.agent.proxies.ensure(namespace, router_id=router_id)
        # Without the router's redirect of port 80, the guest calls port 9697 itself.
        path = "/openstack/latest/meta_data.json"
        status, body = await _get(wires.guest, GUEST_IP, path, host="10.66.0.1:9697")
        assert status == 200, body
        assert json.loads(body)["uuid"] == instance
        status, body = await _get(wires.guest, STRANGER_IP, path, host="10.66.0.1:9697")
        assert status == 404, body
    finally:
        await cloud.agent.proxies.remove(namespace)
        await netdev.delete(f"md{wires.tag}r")
        await netdev.delete_namespace(namespace)


def _descriptors(pid: int) -> set[str]:
    """What the process's descriptors point at (``socket:[inode]`` for a socket)."""
    return {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}


async def test_the_proxy_holds_no_descriptor_of_the_cloud(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    listener = cloud.metadata_api.sock
    # As if something had made it inheritable (uvloop hands such ones to every child).
    os.set_inheritable(listener.fileno(), True)
    await cloud.agent.proxies.ensure(wires.namespace, network_id=net["id"])
    pid = await cloud.agent.proxies.pid(wires.namespace)
    assert pid is not None
    ours = f"socket:[{os.fstat(listener.fileno()).st_ino}]"
    held = await asyncio.to_thread(_descriptors, pid)
    assert any(target.startswith("socket:") for target in held)  # its own listener
    assert ours not in held
    assert not any(str(cloud.data_dir.parent) in target for target in held), held  # no database


async def test_concurrent_ensures_start_one_proxy(
    cloud: Cloud, network: tuple[dict[str, str], Wires]
) -> None:
    net, wires = network
    ensure = cloud.agent.proxies.ensure
    await asyncio.gather(*(ensure(wires.namespace, network_id=net["id"]) for _ in range(3)))
    running = await _haproxies(wires.namespace)
    assert running == [await cloud.agent.proxies.pid(wires.namespace)]
