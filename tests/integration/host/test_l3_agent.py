"""The real L3 agent on this host: qrouter namespaces, SNAT and floating IPs, pinged.

The networking service runs in-process on a private bus with the real Linux-bridge
agent (``l3_support.py``): router ports are bound to the test's host and wired into
real bridges (a VXLAN bridge per internal network, the test's own external bridge),
and "guests" are namespaces behind compute ports' taps. Needs root, iproute2, nft,
ping and busybox.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute import options as _compute_options  # noqa: F401
from nimbostack.core import netdev
from nimbostack.core.process import run
from nimbostack.network.agent_messages import tap_name
from nimbostack.network.agents.cleanup import remove_agents_work
from nimbostack.network.agents.l3.router import RouterNamespace
from nimbostack.network.agents.linuxbridge import wiring
from nimbostack.network.agents.metadata.haproxy import ROUTER_HEADER
from nimbostack.network.agents.metadata.proxies import HaproxyProxies
from nimbostack.network.l3_messages import RouterInfo, namespace_name
from tests.functional.network.conftest import network_conf
from tests.integration.host.l3_support import Guest, L3Host, arp_capture, l3_harness, ruleset
from tests.support.requires import require_tools
from tests.support.waiting import await_until

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[L3Host]:
    async for found in l3_harness(tmp_path):
        yield found


def _qr(port: dict[str, Any]) -> str:
    return f"qr-{port['id'][:11]}"


def _qg(port: dict[str, Any]) -> str:
    return f"qg-{port['id'][:11]}"


async def _ports(host: L3Host, router_id: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for port in await host.router_ports(router_id):
        found.setdefault(port["device_owner"], []).append(port)
    return found


async def test_a_router_routes_nats_and_translates_floating_ips(host: L3Host) -> None:
    net1, sub1 = await host.internal_network("10.61.0.0/24")
    _net2, sub2 = await host.internal_network("10.62.0.0/24")
    await host.start_agent()
    router = await host.router(sub1, sub2)
    ns = namespace_name(router["id"])
    ports = await _ports(host, router["id"])
    [gateway] = ports["network:router_gateway"]
    interfaces = ports["network:router_interface"]
    assert len(interfaces) == 2

    # The namespace holds a qr- per interface and the qg-, with the ports' MACs and
    # addresses; their host ends are wired by the L2 agent, so the ports go ACTIVE.
    for port in [*interfaces, gateway]:
        await host.active(port["id"])
    await host.idle()
    links = await netdev.links(ns)
    for port in interfaces:
        assert links[_qr(port)].address == port["mac_address"]
        assert links[_qr(port)].mtu == net1["mtu"]
        ip = port["fixed_ips"][0]["ip_address"]
        assert f"{ip}/24" in await netdev.addresses(_qr(port), ns)
    gw_ip = gateway["fixed_ips"][0]["ip_address"]
    assert links[_qg(gateway)].address == gateway["mac_address"]
    assert f"{gw_ip}/24" in await netdev.addresses(_qg(gateway), ns)
    assert (await netdev.link(tap_name(gateway["id"]))).master == host.external.bridge  # type: ignore[union-attr]
    routes = await netdev.ip("-4", "route", "show", "default", netns=ns)
    assert f"via {host.gateway_ip}" in routes
    rules = await ruleset(ns)
    assert (
        f'oifname "{_qg(gateway)}" ip saddr {{ 10.61.0.0/24, 10.62.0.0/24 }} snat to {gw_ip}'
        in rules
    )

    # A guest on the first network reaches the host's external address through SNAT
    # (the host has no route back to 10.61.0.0/24).
    guest = await host.guest(net1, sub1["gateway_ip"])
    assert await guest.ping(host.gateway_ip)

    await _floating_ip_round_trip(host, ns, gateway, guest)

    # The second interface removed: its qr- and its host end go.
    await host.remove_interface(router, sub2)
    [second] = [p for p in interfaces if p["fixed_ips"][0]["subnet_id"] == sub2["id"]]
    await await_until(lambda: _gone(_qr(second), ns), 15, "qr- of the removed interface gone")
    assert await netdev.link(tap_name(second["id"])) is None
    await await_until(lambda: _no_rules_for(ns, "10.62.0.0/24"), 15, "its SNAT source gone")

    # Deleted: nothing of the router is left on the host.
    await host.remove_interface(router, sub1)
    resp = await host.api.call("DELETE", f"/v2.0/routers/{router['id']}")
    assert resp.status_code == 204, resp.text
    await await_until(lambda: _namespace_gone(ns), 15, "router namespace removed")
    for port in [*interfaces, gateway]:
        assert await netdev.link(tap_name(port["id"])) is None
    assert not (host.tmp / "data" / "l3" / router["id"]).exists()


async def _floating_ip_round_trip(
    host: L3Host, ns: str, gateway: dict[str, Any], guest: Guest
) -> None:
    # A floating IP: its address on qg-, DNAT and SNAT, ACTIVE, and the host reaches
    # the guest through it.
    async with arp_capture(host.external.bridge) as arp:
        fip = await host.floating_ip(guest.port)
        address = fip["floating_ip_address"]
        await await_until(lambda: _status(host, fip["id"], "ACTIVE"), 15, "floating IP ACTIVE")
    # A gratuitous ARP announced the address on the external network.
    announced = f"Request who-has {address} (ff:ff:ff:ff:ff:ff) tell {address}"
    assert any(announced in line for line in arp), arp
    rules = await ruleset(ns)
    assert f"ip daddr {address} dnat to {guest.ip}" in rules
    assert f'oifname "{_qg(gateway)}" ip saddr {guest.ip} snat to {address}' in rules
    assert f"{address}/32" in await netdev.addresses(_qg(gateway), ns)
    assert await _ping_from_host(address)
    await guest.serve_http(_www(host), HTTP_PORT)
    assert await _fetch_from_host(address) == guest.port["id"]  # the guest answered

    # A connection made through the floating IP echoes, until the disassociation.
    await guest.serve_echo(ECHO_PORT)
    reader, writer = await asyncio.open_connection(address, ECHO_PORT)
    writer.write(b"before\n")
    assert await asyncio.wait_for(reader.readline(), 5) == b"before\n"

    # Disassociated: the rules and the address go at once, and the guest is unreachable,
    # even through the connection conntrack still translated.
    await host.associate(fip, None)
    await await_until(lambda: _no_rules_for(ns, f"{address} dnat"), 15, "its rules removed")
    assert f"{address}/32" not in await netdev.addresses(_qg(gateway), ns)
    assert not await _ping_from_host(address)
    assert await _fetch_from_host(address) is None
    writer.write(b"after\n")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readline(), 2)
    writer.close()


async def test_a_restart_resyncs_without_duplicates_and_spares_foreign_namespaces(
    host: L3Host,
) -> None:
    net, sub = await host.internal_network("10.63.0.0/24")
    router = await host.router(sub)
    foreign = namespace_name(str(uuid.uuid4()))  # another cloud's router on this machine
    await netdev.add_namespace(foreign)
    host.namespaces.append(foreign)
    await host.start_agent()
    guest = await host.guest(net, sub["gateway_ip"])
    fip = await host.floating_ip(guest.port)
    await await_until(lambda: _status(host, fip["id"], "ACTIVE"), 15, "floating IP ACTIVE")
    ns = namespace_name(router["id"])
    before = (await ruleset(ns), await _addresses(ns), await netdev.ip("route", netns=ns))

    # The agent stops; meanwhile a router it made is deleted behind its back.
    await host.stop_agent()
    gone = await host.router()
    gone_ns = namespace_name(gone["id"])
    await host.start_agent()
    await host.idle()
    assert gone_ns in await netdev.namespaces()
    await host.stop_agent()
    notifier, host.api.state.l3 = host.api.state.l3, None  # the agent hears nothing of it
    resp = await host.api.call("DELETE", f"/v2.0/routers/{gone['id']}")
    host.api.state.l3 = notifier
    assert resp.status_code == 204, resp.text
    await host.start_agent()

    # The restarted agent rebuilt the same router, added nothing twice, removed the
    # deleted router it had made, and left the foreign namespace alone.
    after = (await ruleset(ns), await _addresses(ns), await netdev.ip("route", netns=ns))
    assert after == before
    assert before[0].count("dnat to") == 2  # prerouting and output, once each
    assert gone_ns not in await netdev.namespaces()
    assert foreign in await netdev.namespaces()
    await guest.serve_http(_www(host), HTTP_PORT)
    assert await _fetch_from_host(fip["floating_ip_address"]) == guest.port["id"]


async def test_associations_during_a_build_each_get_their_rules_once(
    host: L3Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    net, sub = await host.internal_network("10.69.0.0/24")
    await host.start_agent()
    router = await host.router(sub)
    await host.built(router["id"])
    ports = [await host.api.port(net, device_owner="compute:nova") for _ in range(5)]
    # Each build of the router takes a while, so changes arrive while one runs.
    build = RouterNamespace.apply

    async def slow(self: RouterNamespace, info: RouterInfo, retired: Any = ()) -> list[str]:
        await asyncio.sleep(0.3)
        return await build(self, info, retired)

    monkeypatch.setattr(RouterNamespace, "apply", slow)
    fips = list(await asyncio.gather(*(host.floating_ip(port) for port in ports[:-1])))
    await asyncio.sleep(0.1)  # their build has read the router and is under way
    fips.append(await host.floating_ip(ports[-1]))
    for fip in fips:
        await await_until(lambda f=fip: _status(host, f["id"], "ACTIVE"), 20, "floating IP ACTIVE")
    await host.idle()
    ns = namespace_name(router["id"])
    rules = await ruleset(ns)
    [gateway] = (await _ports(host, router["id"]))["network:router_gateway"]
    addresses = await netdev.addresses(_qg(gateway), ns)
    for fip, port in zip(fips, ports, strict=True):
        fixed = port["fixed_ips"][0]["ip_address"]
        assert rules.count(f"ip daddr {fip['floating_ip_address']} dnat to {fixed}") == 2
        assert addresses.count(f"{fip['floating_ip_address']}/32") == 1

    await asyncio.gather(*(host.associate(fip, None) for fip in fips))
    await await_until(lambda: _no_rules_for(ns, "dnat to"), 15, "every DNAT rule removed")
    assert not [a for a in await netdev.addresses(_qg(gateway), ns) if a.endswith("/32")]


async def test_extra_routes_are_added_and_removed(host: L3Host) -> None:
    _net, sub = await host.internal_network("10.70.0.0/24")
    await host.start_agent()
    router = await host.router(sub)
    await host.built(router["id"])
    ns = namespace_name(router["id"])
    route = {"destination": "192.168.99.0/24", "nexthop": "10.70.0.50"}
    path = f"/v2.0/routers/{router['id']}"
    resp = await host.api.call("PUT", f"{path}/add_extraroutes", {"router": {"routes": [route]}})
    assert resp.status_code == 200, resp.text

    async def routes() -> str:
        return await netdev.ip("-4", "route", "show", netns=ns)

    await await_until(lambda: _has(routes(), "192.168.99.0/24 via 10.70.0.50"), 15, "route")
    assert f"default via {host.gateway_ip}" in await routes()
    body = {"router": {"routes": [route]}}
    resp = await host.api.call("PUT", f"{path}/remove_extraroutes", body)
    assert resp.status_code == 200, resp.text
    await await_until(lambda: _lacks(routes(), "192.168.99.0/24"), 15, "route removed")


async def _has(text: Awaitable[str], part: str) -> bool:
    return part in await text


async def _lacks(text: Awaitable[str], part: str) -> bool:
    return part not in await text


async def test_a_router_admin_down_is_unbuilt_and_its_floating_ips_down(host: L3Host) -> None:
    net, sub = await host.internal_network("10.64.0.0/24")
    await host.start_agent()
    router = await host.router(sub)
    await host.built(router["id"])
    guest = await host.guest(net, sub["gateway_ip"])
    fip = await host.floating_ip(guest.port)
    await await_until(lambda: _status(host, fip["id"], "ACTIVE"), 15, "floating IP ACTIVE")
    ns = namespace_name(router["id"])

    body = {"router": {"admin_state_up": False}}
    resp = await host.api.call("PUT", f"/v2.0/routers/{router['id']}", body)
    assert resp.status_code == 200, resp.text
    await await_until(lambda: _namespace_gone(ns), 15, "router namespace removed")
    await await_until(lambda: _status(host, fip["id"], "DOWN"), 15, "floating IP DOWN")
    assert not await _ping_from_host(fip["floating_ip_address"])


async def test_the_host_masquerades_the_external_network_to_its_uplink(host: L3Host) -> None:
    net, sub = await host.internal_network("10.66.0.0/24")
    await host.start_agent()
    router = await host.router(sub)
    await host.built(router["id"])
    guest = await host.guest(net, sub["gateway_ip"])
    # An "uplink": a namespace on a veth of the host's own, with no route back to the
    # external network (so only the host's masquerading lets replies return).
    uplink, outside, inside = (f"l3u{host.tag}", f"up{host.tag}", f"upi{host.tag}")
    prefix = f"198.18.{random.randint(0, 255)}"
    await netdev.add_namespace(uplink)
    host.namespaces.append(uplink)
    host.taps.append(outside)
    await netdev.add_veth(outside, inside, peer_netns=uplink)
    await netdev.add_address(outside, f"{prefix}.1/30")
    await netdev.set_up(outside)
    await netdev.add_address(inside, f"{prefix}.2/30", uplink)
    await netdev.set_up(inside, netns=uplink)

    assert await guest.ping(f"{prefix}.2")


async def test_cleanup_removes_what_this_clouds_agents_made_and_nothing_else(
    host: L3Host,
) -> None:
    net, sub = await host.internal_network("10.68.0.0/24")
    await host.start_agent()
    router = await host.router(sub)
    await host.built(router["id"])
    await host.guest(net, sub["gateway_ip"])
    foreign = namespace_name(str(uuid.uuid4()))
    await netdev.add_namespace(foreign)
    host.namespaces.append(foreign)
    bridges = [n for n in wiring.owned(await netdev.links(), host.name).values()]
    assert bridges
    # The cloud stops; its devices stay, as its guests do.
    await host.stop_agent()
    assert host.l2 is not None
    await host.l2.stop()
    host.l2 = None
    conf = network_conf(
        network_l3={
            "driver": "linux",
            "external_bridge": host.external.bridge,
            "external_bridge_address": host.external.address,
        }
    )

    removed = await remove_agents_work(conf, host.tmp / "data", host.name)

    ns = namespace_name(router["id"])
    assert ns in removed and host.external.bridge in removed
    namespaces = await netdev.namespaces()
    assert ns not in namespaces and foreign in namespaces
    assert not (host.tmp / "data" / "l3" / router["id"]).exists()
    assert wiring.owned(await netdev.links(), host.name) == {}
    assert await netdev.link(host.external.bridge) is None
    done = await run("nft", "list", "table", "ip", host.external.table, timeout=30)
    assert done.returncode != 0


@pytest.fixture
async def metadata_host(tmp_path: Path) -> AsyncIterator[tuple[L3Host, Path]]:
    require_tools("haproxy", "wget", why="the metadata proxy and a client")
    socket = tmp_path / "metadata.sock"
    proxies = HaproxyProxies(tmp_path / "data" / "metadata-proxy", socket)
    async for found in l3_harness(tmp_path, proxies):
        yield found, socket


async def test_a_guest_reaches_metadata_through_its_router(
    metadata_host: tuple[L3Host, Path],
) -> None:
    host, socket = metadata_host
    seen: list[str] = []
    server = await asyncio.start_unix_server(_echo(seen), path=str(socket))
    try:
        net, sub = await host.internal_network("10.65.0.0/24")
        await host.start_agent()
        router = await host.router(sub)
        await host.built(router["id"])
        guest = await host.guest(net, sub["gateway_ip"])
        rules = await ruleset(namespace_name(router["id"]))
        assert 'iifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697' in rules
        argv = ["ip", "netns", "exec", guest.namespace, "wget", "-q", "-O", "-", "-T", "5"]
        done = await run(*argv, "http://169.254.169.254/latest/meta-data/", timeout=30)
        assert done.returncode == 0, done.err.decode()
        assert done.out.decode() == "ok"
        headers = "\n".join(seen).lower()
        assert f"{ROUTER_HEADER.lower()}: {router['id']}" in headers
        assert f"x-forwarded-for: {guest.ip}" in headers
    finally:
        server.close()
        await server.wait_closed()


def _echo(seen: list[str]) -> Any:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.decode())
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    return handle


async def _status(host: L3Host, fip_id: str, status: str) -> bool:
    return await host.fip_status(fip_id) == status


HTTP_PORT = 8080
ECHO_PORT = 9000


def _www(host: L3Host) -> Path:
    root = host.tmp / "www"
    root.mkdir(exist_ok=True)
    return root


async def _fetch_from_host(address: str) -> str | None:
    """What the guest's web server says from behind ``address`` (None: no answer)."""
    argv = ["curl", "-s", "-m", "3", f"http://{address}:{HTTP_PORT}/whoami"]
    done = await run(*argv, timeout=30)
    return done.out.decode() if done.returncode == 0 else None


async def _ping_from_host(address: str) -> bool:
    done = await run("busybox", "ping", "-c", "1", "-W", "2", address, timeout=30)
    return done.returncode == 0


async def _no_rules_for(ns: str, address: str) -> bool:
    return address not in await ruleset(ns)


async def _gone(device: str, ns: str) -> bool:
    return await netdev.link(device, ns) is None


async def _namespace_gone(ns: str) -> bool:
    return ns not in await netdev.namespaces()


async def _addresses(ns: str) -> dict[str, list[str]]:
    names = [n for n in await netdev.links(ns) if n.startswith(("qr-", "qg-"))]
    return {name: sorted(await netdev.addresses(name, ns)) for name in names}
