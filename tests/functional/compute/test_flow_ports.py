"""Servers with ports: created through the compute API, bound by the host, plugged, deleted.

Compute and networking run in-process together (``network_support``): the compute
agent makes and binds each port on its host, a fake L2 agent reports it wired, and
networking's ``network-vif-plugged`` reaches the agent through the external-events API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.db.models import InstanceAction, InstanceActionEvent
from tests.functional.compute.flow_support import LOOP_WATCH
from tests.functional.compute.network_support import NetworkedCloud
from tests.support.waiting import await_until

pytestmark = LOOP_WATCH


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[NetworkedCloud]:
    found = NetworkedCloud(tmp_path)
    await found.start()
    try:
        yield found
    finally:
        await found.stop()


async def _active(cloud: NetworkedCloud, server_id: str) -> None:
    inst = await cloud.flow.wait_state(server_id, states.ACTIVE)
    assert inst.vm_state == states.ACTIVE


async def test_server_on_a_network_gets_a_bound_active_port(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    resp = await cloud.create_server([{"uuid": net["id"]}])
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    await _active(cloud, server_id)
    (port,) = await cloud.ports_of(server_id)
    assert port["status"] == "ACTIVE"
    assert port["binding:host_id"] == "host1"
    assert port["binding:vif_type"] == "bridge"
    assert port["device_owner"] == "compute:nova"
    shown = await cloud.server(server_id)
    (address,) = shown["addresses"][net["name"]]
    assert address["addr"] == port["fixed_ips"][0]["ip_address"]
    assert address["OS-EXT-IPS:type"] == "fixed"
    assert address["OS-EXT-IPS-MAC:mac_addr"] == port["mac_address"]
    assert address["version"] == 4


async def test_record_keeps_typed_network_info(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
    await _active(cloud, server_id)
    inst = await cloud.instance(server_id)
    (vif,) = inst.network_info
    assert vif["type"] == "bridge"
    assert vif["details"]["bridge_name"] == f"brq{net['id'][:11]}"
    assert vif["preserve_on_delete"] is False


async def test_delete_removes_the_port_and_frees_its_address(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network(cidr="10.0.0.0/29")
    server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
    await _active(cloud, server_id)
    (port,) = await cloud.ports_of(server_id)
    resp = await cloud.compute("DELETE", f"/servers/{server_id}")
    assert resp.status_code == 204
    await cloud.flow.wait(server_id, lambda i: i.deleted)
    assert await cloud.ports_of(server_id) == []
    # The address is free again: a port may take it.
    wanted = port["fixed_ips"][0]["ip_address"]
    again = await cloud.create(
        "port", "ports", network_id=net["id"], fixed_ips=[{"ip_address": wanted}]
    )
    assert again["fixed_ips"][0]["ip_address"] == wanted


async def test_a_users_port_is_bound_then_kept_on_delete(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    port = await cloud.create("port", "ports", network_id=net["id"], name="mine")
    resp = await cloud.create_server([{"port": port["id"]}])
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    await _active(cloud, server_id)
    (bound,) = await cloud.ports_of(server_id)
    assert bound["id"] == port["id"] and bound["status"] == "ACTIVE"
    await cloud.compute("DELETE", f"/servers/{server_id}")
    await cloud.flow.wait(server_id, lambda i: i.deleted)
    kept = (await cloud.neutron("GET", f"/ports/{port['id']}", token="admin")).json()["port"]
    assert (kept["device_id"], kept["device_owner"], kept["binding:host_id"]) == ("", "", "")
    assert kept["binding:vif_type"] == "unbound"


async def test_fixed_ip_is_the_port_s_address(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    resp = await cloud.create_server([{"uuid": net["id"], "fixed_ip": "10.0.0.77"}])
    server_id = resp.json()["server"]["id"]
    await _active(cloud, server_id)
    shown = await cloud.server(server_id)
    assert [a["addr"] for a in shown["addresses"][net["name"]]] == ["10.0.0.77"]


async def test_auto_takes_the_project_s_only_network(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = (await cloud.create_server("auto")).json()["server"]["id"]
    await _active(cloud, server_id)
    assert net["name"] in (await cloud.server(server_id))["addresses"]


async def test_none_boots_without_ports(cloud: NetworkedCloud) -> None:
    await cloud.private_network()
    server_id = (await cloud.create_server("none")).json()["server"]["id"]
    await _active(cloud, server_id)
    assert (await cloud.server(server_id))["addresses"] == {}
    assert await cloud.ports_of(server_id) == []


async def test_failed_binding_is_error_with_fault_and_leaves_nothing(
    cloud: NetworkedCloud,
) -> None:
    # A VLAN network on a physical network the host's agent does not map cannot bind.
    net = await cloud.create(
        "network",
        "networks",
        "admin",
        name="vlan",
        shared=True,
        **{"provider:network_type": "vlan", "provider:physical_network": "physnet1"},
    )
    await cloud.create("subnet", "subnets", "admin", network_id=net["id"], cidr="10.5.0.0/24",
                       ip_version=4)  # fmt: skip
    server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
    inst = await cloud.flow.wait_state(server_id, states.ERROR)
    assert inst.network_info == []
    shown = await cloud.server(server_id)
    assert "Binding failed for port" in shown["fault"]["message"]
    assert await cloud.ports_of(server_id) == []
    assert await cloud.flow.allocations(server_id) == {}


async def _slow_wiring(tmp: Path, **compute: object) -> NetworkedCloud:
    """A cloud whose L2 agent takes an hour to wire a device: no vif-plugged in time."""
    found = NetworkedCloud(tmp, vif_plugging_timeout=1, **compute)
    await found.start(device_delay=3600)
    return found


async def test_no_vif_plugged_in_time_is_error_and_releases_ports(tmp_path: Path) -> None:
    cloud = await _slow_wiring(tmp_path)
    try:
        net = await cloud.private_network()
        server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
        inst = await cloud.flow.wait_state(server_id, states.ERROR)
        assert inst.network_info == []  # the ports it showed are gone
        shown = await cloud.server(server_id)
        assert "network-vif-plugged" in shown["fault"]["message"]
        assert shown["addresses"] == {}
        assert await cloud.ports_of(server_id) == []
        assert await cloud.flow.allocations(server_id) == {}
    finally:
        await cloud.stop()


async def test_vif_plugging_not_fatal_goes_active_without_the_event(tmp_path: Path) -> None:
    cloud = await _slow_wiring(tmp_path, vif_plugging_is_fatal=False)
    try:
        net = await cloud.private_network()
        server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
        await _active(cloud, server_id)
        (port,) = await cloud.ports_of(server_id)
        assert port["status"] == "DOWN"
    finally:
        await cloud.stop()


async def test_build_waits_for_vif_plugged(cloud: NetworkedCloud) -> None:
    # The agent reports the device only when told; until then the server is building.
    agent = cloud.agents["host1"]
    agent.device_delay = 3600
    net = await cloud.private_network()
    server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
    driver = cloud.flow.driver("host1")
    await await_until(lambda: server_id in driver.guests, 10, "guest started")
    inst = await cloud.instance(server_id)
    assert (inst.vm_state, inst.task_state) == (states.BUILDING, states.SPAWNING)
    (port,) = await cloud.ports_of(server_id)
    assert port["status"] == "DOWN"
    await agent.device_up(port["id"])
    await _active(cloud, server_id)


async def test_failed_binding_reschedules_to_a_host_that_binds(tmp_path: Path) -> None:
    cloud = NetworkedCloud(tmp_path)
    await cloud.start(hosts=())
    try:
        # The bigger host weighs first, but has no L2 agent: its binding fails.
        await cloud.add_host("host-big", l2_agent=False, memory_mb=65536)
        await cloud.add_host("host-small", memory_mb=1024)
        net = await cloud.private_network()
        server_id = (await cloud.create_server([{"uuid": net["id"]}])).json()["server"]["id"]
        inst = await cloud.flow.wait_state(server_id, states.ACTIVE)
        assert inst.host == "host-small"
        assert await _build_results(cloud, server_id) == [
            ("host-big", "Error"),
            ("host-small", "Success"),
        ]
        assert len(await cloud.flow.allocations(server_id)) == 1
        (port,) = await cloud.ports_of(server_id)
        assert (port["binding:host_id"], port["status"]) == ("host-small", "ACTIVE")
    finally:
        await cloud.stop()


async def _build_results(cloud: NetworkedCloud, server_id: str) -> list[tuple[str, str]]:
    """Each host's build of the server, in order, with its result."""
    async with cloud.flow.state.db.session() as s:
        rows = await s.execute(
            select(InstanceActionEvent.host, InstanceActionEvent.result)
            .join(InstanceAction, InstanceAction.id == InstanceActionEvent.action_id)
            .where(
                InstanceAction.instance_uuid == server_id,
                InstanceActionEvent.event == "compute_build_and_run_instance",
            )
            .order_by(InstanceActionEvent.id)
        )
        return [(str(host), str(result)) for host, result in rows]


async def test_two_servers_racing_for_one_port_one_gets_it(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    port = await cloud.create("port", "ports", network_id=net["id"])
    # Both pass the API's check (the port is free), then race on the host.
    sent = await asyncio.gather(*(cloud.create_server([{"port": port["id"]}]) for _ in range(2)))
    assert [r.status_code for r in sent] == [202, 202], [r.text for r in sent]
    made = [r.json()["server"]["id"] for r in sent]
    finished = [
        await cloud.flow.wait(s, lambda i: i.task_state is None and i.vm_state != "building")
        for s in made
    ]
    states_seen = sorted(i.vm_state for i in finished)
    assert states_seen == [states.ACTIVE, states.ERROR]
    winner = next(i.uuid for i in finished if i.vm_state == states.ACTIVE)
    shown = (await cloud.neutron("GET", f"/ports/{port['id']}", token="admin")).json()["port"]
    assert (shown["device_id"], shown["status"]) == (winner, "ACTIVE")


async def test_auto_without_a_network_boots_on_the_auto_allocated_one(
    cloud: NetworkedCloud,
) -> None:
    external = {"name": "ext", "router:external": True, "is_default": True}
    ext = await cloud.create("network", "networks", token="admin", **external)
    await cloud.create(
        "subnet",
        "subnets",
        token="admin",
        network_id=ext["id"],
        cidr="172.24.4.0/24",
        ip_version=4,
    )
    pool = {"prefixes": ["10.128.0.0/16"], "default_prefixlen": 26, "is_default": True}
    await cloud.create("subnetpool", "subnetpools", token="admin", shared=True, **pool)
    server_id = (await cloud.create_server("auto")).json()["server"]["id"]
    await _active(cloud, server_id)
    [address] = (await cloud.server(server_id))["addresses"]["auto_allocated_network"]
    assert address["addr"].startswith("10.128.")
    # The next server finds that network and makes no other.
    again = (await cloud.create_server("auto")).json()["server"]["id"]
    await _active(cloud, again)
    assert list((await cloud.server(again))["addresses"]) == ["auto_allocated_network"]
