"""The Linux-bridge agent wiring this host for the networking service (needs root).

Each test makes a network and a port bound to the agent's host, makes the port's tap
itself (as compute does), and looks at the devices the agent made: bridge, segment
device, tap on the bridge, forwarding entries, and the port's status.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nimbostack.core import netdev
from nimbostack.core.context import RequestContext
from nimbostack.core.netdev import FdbEntry
from nimbostack.network.agent_messages import bridge_name
from nimbostack.network.agents.linuxbridge import wiring
from tests.integration.host.l2_support import (
    PEER_IP,
    Host,
    host_harness,
    kernel_makes_vlans,
    require_host,
)
from tests.support.waiting import await_until

pytestmark = pytest.mark.asyncio
FLOOD = "00:00:00:00:00:00"


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Host]:
    require_host()
    tag = uuid.uuid4().hex[:6]
    physical, external = f"nd{tag}", f"nbx{tag}"
    try:
        # A veth stands in for a NIC (no dummy driver here); its peer end stays idle.
        await netdev.add_veth(physical, f"np{tag}")
        await netdev.add_bridge(external)
        interfaces = {f"phys{tag}": physical}
        async for found in host_harness(tmp_path, tag, interfaces, {f"ext{tag}": external}):
            found.devices.extend([physical, external])
            yield found
    finally:
        await netdev.delete(physical)
        await netdev.delete(external)


async def _gone(name: str) -> bool:
    return await netdev.link(name) is None


async def _fdb(device: str) -> set[FdbEntry]:
    return await netdev.fdb_entries(device)


async def test_vxlan_port_is_wired_then_active(host: Host) -> None:
    agent = await host.start_agent()
    net = await host.vxlan_network()
    port = await host.port(net)
    tap = await host.tap_for(port)
    await host.active(port)

    links = await netdev.links()
    bridge, vxlan = bridge_name(net["id"]), f"vxlan-{net['provider:segmentation_id']}"
    assert links[bridge].kind == "bridge" and links[bridge].up
    assert (links[tap].master, links[tap].mtu, links[tap].up) == (bridge, net["mtu"], True)
    info = links[vxlan].info
    assert links[vxlan].master == bridge and links[vxlan].mtu == net["mtu"]
    assert (info["id"], info["local"], info["port"]) == (
        net["provider:segmentation_id"],
        agent.config.tunneling_ip,
        4789,
    )
    assert info["learning"] is False
    # The firewall saw the port before the device was reported up.
    assert [port["id"]] in host.firewall.applied


async def test_remote_ports_get_forwarding_entries(host: Host) -> None:
    await host.start_agent()
    net = await host.vxlan_network()
    vxlan = f"vxlan-{net['provider:segmentation_id']}"
    early = await host.port(net, host.peer.host)  # known before the network is wired here
    await host.active(early)
    local = await host.port(net)
    await host.tap_for(local)
    await host.active(local)
    assert await _fdb(vxlan) == {FdbEntry(FLOOD, PEER_IP), FdbEntry(early["mac_address"], PEER_IP)}

    late = await host.port(net, host.peer.host)  # FdbAdd, once it goes ACTIVE
    await host.active(late)
    want = {FdbEntry(late["mac_address"], PEER_IP), FdbEntry(early["mac_address"], PEER_IP)}
    await await_until(lambda: _has(vxlan, want), 10, "late port's entry")

    resp = await host.api.call("DELETE", f"/v2.0/ports/{late['id']}")
    assert resp.status_code == 204
    await await_until(lambda: _lacks(vxlan, late["mac_address"]), 10, "late port's entry gone")
    assert FdbEntry(FLOOD, PEER_IP) in await _fdb(vxlan)  # the VTEP still has a port
    await host.api.call("DELETE", f"/v2.0/ports/{early['id']}")
    await await_until(lambda: _empty(vxlan), 10, "every entry of the peer gone")


async def _has(device: str, entries: set[FdbEntry]) -> bool:
    return entries <= await _fdb(device)


async def _lacks(device: str, mac: str) -> bool:
    return all(entry.mac != mac for entry in await _fdb(device))


async def _empty(device: str) -> bool:
    return not await _fdb(device)


async def test_port_delete_unplugs_and_removes_empty_network(host: Host) -> None:
    await host.start_agent()
    net = await host.vxlan_network()
    port = await host.port(net)
    tap = await host.tap_for(port)
    await host.active(port)
    resp = await host.api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert resp.status_code == 204
    await await_until(lambda: _gone(bridge_name(net["id"])), 10, "bridge removed")
    assert await _gone(f"vxlan-{net['provider:segmentation_id']}")
    found = await netdev.link(tap)
    assert found is not None and found.master is None  # the tap is compute's: kept


async def test_network_delete_removes_bridge_and_segment(host: Host) -> None:
    await host.start_agent()
    net = await host.vxlan_network()
    port = await host.port(net)
    tap = await host.tap_for(port)
    await host.active(port)
    assert host.api.state.agents is not None
    await host.api.state.agents.network_delete(RequestContext.admin(), net["id"])
    await await_until(lambda: _gone(bridge_name(net["id"])), 10, "bridge removed")
    assert await _gone(f"vxlan-{net['provider:segmentation_id']}")
    assert (await netdev.link(tap)).master is None  # type: ignore[union-attr]


async def test_restart_removes_stale_devices_and_keeps_entries_single(host: Host) -> None:
    await host.start_agent()
    kept, stale = await host.vxlan_network(), await host.vxlan_network()
    peer_port = await host.port(kept, host.peer.host)
    await host.active(peer_port)
    ports = [await host.port(kept), await host.port(stale)]
    for port in ports:
        await host.tap_for(port)
        await host.active(port)
    vxlan = f"vxlan-{kept['provider:segmentation_id']}"
    entries = await netdev.bridge("-j", "fdb", "show", "dev", vxlan)
    await host.stop_agent()
    # While the agent is away its port on `stale` goes: the delete reaches no agent.
    await host.api.call("DELETE", f"/v2.0/ports/{ports[1]['id']}")
    await host.start_agent()
    assert await _gone(bridge_name(stale["id"]))
    assert await _gone(f"vxlan-{stale['provider:segmentation_id']}")
    assert (await netdev.link(bridge_name(kept["id"]))) is not None
    assert await netdev.bridge("-j", "fdb", "show", "dev", vxlan) == entries
    assert await host.status_is(ports[0]["id"], "ACTIVE")


async def test_vlan_port_on_mapped_interface(host: Host) -> None:
    """Wired on a sub-interface where the kernel makes VLAN devices; else never bound."""
    vlans = await kernel_makes_vlans(f"nd{host.tag}")
    await host.start_agent()
    physnet, vid = f"phys{host.tag}", 3000 + int(host.tag, 16) % 1000
    net = await host.api.network(
        **{
            "provider:network_type": "vlan",
            "provider:physical_network": physnet,
            "provider:segmentation_id": vid,
        }
    )
    await host.api.subnet(net, "10.61.0.0/24")
    port = await host.port(net)
    if not vlans:
        # This kernel has no 8021q: the agent says so, and the port fails to bind
        # rather than waiting DOWN for a device that cannot be made.
        assert port["binding:vif_type"] == "binding_failed"
        return
    tap = await host.tap_for(port)
    await host.active(port)
    links = await netdev.links()
    vlan = f"nd{host.tag}.{vid}"
    assert links[vlan].kind == "vlan" and links[vlan].info["id"] == vid
    assert links[vlan].master == bridge_name(net["id"]) == links[tap].master
    await host.api.call("DELETE", f"/v2.0/ports/{port['id']}")
    await await_until(lambda: _gone(vlan), 10, "VLAN device removed")
    assert await netdev.link(f"nd{host.tag}") is not None  # the mapped interface stays


async def test_flat_ports_on_mapped_interface_and_mapped_bridge(host: Host) -> None:
    await host.start_agent()
    on_interface = await host.api.network(
        **{"provider:network_type": "flat", "provider:physical_network": f"phys{host.tag}"}
    )
    on_bridge = await host.api.network(
        **{"provider:network_type": "flat", "provider:physical_network": f"ext{host.tag}"}
    )
    for net, cidr in ((on_interface, "10.62.0.0/24"), (on_bridge, "10.63.0.0/24")):
        await host.api.subnet(net, cidr)
    first, second = await host.port(on_interface), await host.port(on_bridge)
    taps = [await host.tap_for(first), await host.tap_for(second)]
    await host.active(first)
    await host.active(second)
    links = await netdev.links()
    assert links[f"nd{host.tag}"].master == bridge_name(on_interface["id"]) == links[taps[0]].master
    assert links[taps[1]].master == f"nbx{host.tag}"
    await host.api.call("DELETE", f"/v2.0/ports/{second['id']}")
    await host.api.call("DELETE", f"/v2.0/ports/{first['id']}")
    await await_until(lambda: _gone(bridge_name(on_interface["id"])), 10, "bridge removed")
    assert await netdev.link(f"nbx{host.tag}") is not None  # a mapped bridge is never removed
    assert (await netdev.link(f"nd{host.tag}")).master is None  # type: ignore[union-attr]


async def test_unknown_taps_leave_only_bridges_the_agent_serves(host: Host) -> None:
    mapped, foreign = f"tap{uuid.uuid4().hex[:11]}", f"tap{uuid.uuid4().hex[:11]}"
    other_bridge = f"nfb{host.tag}"
    host.taps.extend([mapped, foreign])
    host.devices.append(other_bridge)
    await netdev.add_bridge(other_bridge)
    for tap, bridge in ((mapped, f"nbx{host.tag}"), (foreign, other_bridge)):
        await netdev.add_tap(tap)
        await netdev.set_master(tap, bridge)
    await host.start_agent()  # its resync asks about both: no port claims them
    assert (await netdev.link(mapped)).master is None  # type: ignore[union-attr]
    assert (await netdev.link(foreign)).master == other_bridge  # type: ignore[union-attr]


async def test_unknown_tap_stays_unplugged_and_admin_down_goes_down(host: Host) -> None:
    await host.start_agent()
    stranger = f"tap{uuid.uuid4().hex[:11]}"
    host.taps.append(stranger)
    await netdev.add_tap(stranger)
    net = await host.vxlan_network()
    port = await host.port(net)
    tap = await host.tap_for(port)
    await host.active(port)
    assert (await netdev.link(stranger)).master is None  # type: ignore[union-attr]
    resp = await host.api.call(
        "PUT", f"/v2.0/ports/{port['id']}", {"port": {"admin_state_up": False}}
    )
    assert resp.status_code == 200
    await await_until(lambda: host.status_is(port["id"], "DOWN"), 10, "port DOWN")
    assert (await netdev.link(tap)).master is None  # type: ignore[union-attr]


async def test_a_tap_gone_while_its_network_is_made_leaves_no_devices(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tap vanishes between the agent's look at it and its plugging (a guest deleted,
    a DHCP namespace removed): the network's bridge and VXLAN device go again."""
    agent = await host.start_agent()
    net = await host.vxlan_network()
    port = await host.port(net)
    plug = wiring.plug_tap

    async def vanishing(tap: str, bridge: str, mtu: int) -> None:
        await netdev.delete(tap)
        await plug(tap, bridge, mtu)

    monkeypatch.setattr(wiring, "plug_tap", vanishing)
    tap = await host.tap_for(port)
    await agent.wire(tap)
    links = await netdev.links()
    assert bridge_name(net["id"]) not in links
    assert f"vxlan-{net['provider:segmentation_id']}" not in links


async def test_a_tap_gone_while_it_is_unplugged_still_removes_its_network(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The port is deleted and its tap vanishes while the agent takes it off the bridge:
    the agent still removes the network's devices (nothing else would until a resync)."""
    await host.start_agent()
    net = await host.vxlan_network()
    port = await host.port(net)
    tap = await host.tap_for(port)
    await host.active(port)
    set_master = netdev.set_master

    async def vanishing(name: str, master: str | None, **kw: object) -> None:
        if name == tap and master is None:
            await netdev.delete(tap)
        await set_master(name, master, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(netdev, "set_master", vanishing)
    resp = await host.api.call("DELETE", f"/v2.0/ports/{port['id']}")
    assert resp.status_code == 204
    bridge = bridge_name(net["id"])
    await await_until(lambda: _gone(bridge), 10, "the network's bridge removed")
    assert await _gone(f"vxlan-{net['provider:segmentation_id']}")
