"""Interfaces attached to and detached from built servers (``os-interface``).

Compute and networking run in-process together (``network_support``): the host makes
or takes the port, binds it, records it and plugs it into the fake guest, the fake L2
agent reports it wired, and ``network-vif-plugged`` comes back through the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nimbostack.compute import states
from nimbostack.compute.db.models import InstanceAction, InstanceActionEvent
from nimbostack.compute.device_messages import AttachInterface
from nimbostack.compute.messages import UnexpectedTaskState
from nimbostack.core.context import RequestContext
from tests.functional.compute.flow_support import LOOP_WATCH, set_task
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


async def _server(cloud: NetworkedCloud, net: dict[str, Any], token: str = "alice") -> str:
    resp = await cloud.create_server([{"uuid": net["id"]}], token=token)
    assert resp.status_code == 202, resp.text
    server_id: str = resp.json()["server"]["id"]
    await cloud.flow.wait_state(server_id, states.ACTIVE)
    return server_id


async def _attach(
    cloud: NetworkedCloud, server_id: str, token: str = "alice", **wanted: Any
) -> Any:
    body = {"interfaceAttachment": wanted}
    return await cloud.compute("POST", f"/servers/{server_id}/os-interface", body, token=token)


async def _port(cloud: NetworkedCloud, port_id: str) -> dict[str, Any] | None:
    resp = await cloud.neutron("GET", f"/ports/{port_id}", token="admin")
    return resp.json()["port"] if resp.status_code == 200 else None


async def _events(cloud: NetworkedCloud, server_id: str, event: str) -> list[str]:
    async with cloud.flow.state.db.session() as s:
        rows = await s.execute(
            select(InstanceActionEvent.result)
            .join(InstanceAction, InstanceAction.id == InstanceActionEvent.action_id)
            .where(InstanceAction.instance_uuid == server_id, InstanceActionEvent.event == event)
            .order_by(InstanceActionEvent.id)
        )
        return [str(r) for (r,) in rows]


async def test_attach_a_network_makes_binds_and_plugs_a_port(cloud: NetworkedCloud) -> None:
    first, second = await cloud.private_network(), await cloud.private_network(cidr="10.1.0.0/24")
    server_id = await _server(cloud, first)
    resp = await _attach(cloud, server_id, net_id=second["id"])
    assert resp.status_code == 200, resp.text
    shown = resp.json()["interfaceAttachment"]
    assert shown["net_id"] == second["id"] and shown["port_state"] == "ACTIVE"
    assert shown["fixed_ips"][0]["ip_address"].startswith("10.1.0.")
    assert shown["tag"] is None  # 2.70 shows tags
    port = await _port(cloud, shown["port_id"])
    assert port is not None
    assert (port["device_id"], port["binding:host_id"]) == (server_id, "host1")
    assert port["mac_address"] == shown["mac_addr"]
    guest = cloud.flow.driver("host1").guests[server_id]
    assert shown["port_id"] in guest.vifs
    assert [v["id"] for v in (await cloud.instance(server_id)).network_info][1] == port["id"]
    assert set((await cloud.server(server_id))["addresses"]) == {first["name"], second["name"]}
    listed = await cloud.compute("GET", f"/servers/{server_id}/os-interface")
    assert len(listed.json()["interfaceAttachments"]) == 2
    one = await cloud.compute("GET", f"/servers/{server_id}/os-interface/{port['id']}")
    assert one.json()["interfaceAttachment"]["port_id"] == port["id"]
    assert await _events(cloud, server_id, "compute_attach_interface") == ["Success"]


async def test_attach_a_fixed_ip_on_a_network(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    wanted = [{"ip_address": "10.0.0.99"}]
    resp = await _attach(cloud, server_id, net_id=net["id"], fixed_ips=wanted)
    assert resp.status_code == 200, resp.text
    assert resp.json()["interfaceAttachment"]["fixed_ips"][0]["ip_address"] == "10.0.0.99"


async def test_users_port_with_a_tag_is_attached_then_detached_and_kept(
    cloud: NetworkedCloud,
) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    mine = await cloud.create("port", "ports", network_id=net["id"], name="mine")
    resp = await _attach(cloud, server_id, port_id=mine["id"], tag="data")
    assert resp.status_code == 200, resp.text
    assert resp.json()["interfaceAttachment"]["tag"] == "data"
    one = await cloud.compute("GET", f"/servers/{server_id}/os-interface/{mine['id']}")
    assert one.json()["interfaceAttachment"]["tag"] == "data"
    gone = await cloud.compute("DELETE", f"/servers/{server_id}/os-interface/{mine['id']}")
    assert gone.status_code == 202, gone.text
    driver = cloud.flow.driver("host1")
    await await_until(lambda: mine["id"] not in driver.guests[server_id].vifs, 10, "unplugged")
    await cloud.flow.wait(server_id, lambda i: len(i.network_info) == 1)
    kept = await _port(cloud, mine["id"])
    assert kept is not None
    assert (kept["device_id"], kept["device_owner"], kept["binding:host_id"]) == ("", "", "")
    assert await _events(cloud, server_id, "compute_detach_interface") == ["Success"]


async def test_detaching_a_port_compute_made_deletes_it(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    (port,) = await cloud.ports_of(server_id)
    resp = await cloud.compute("DELETE", f"/servers/{server_id}/os-interface/{port['id']}")
    assert resp.status_code == 202, resp.text
    await cloud.flow.wait(server_id, lambda i: i.network_info == [])
    assert await _port(cloud, port["id"]) is None
    assert (await cloud.server(server_id))["addresses"] == {}


async def test_a_stopped_server_gets_the_nic_when_it_starts(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    await cloud.compute("POST", f"/servers/{server_id}/action", {"os-stop": None})
    await cloud.flow.wait_state(server_id, states.STOPPED)
    resp = await _attach(cloud, server_id, net_id=net["id"])
    assert resp.status_code == 200, resp.text
    port_id = resp.json()["interfaceAttachment"]["port_id"]
    await cloud.compute("POST", f"/servers/{server_id}/action", {"os-start": None})
    await cloud.flow.wait_state(server_id, states.ACTIVE)
    started = cloud.flow.driver("host1").guests[server_id].spec
    assert port_id in [v.port_id for v in started.vifs]


async def test_another_projects_network_port_or_server_is_not_found(
    cloud: NetworkedCloud,
) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    theirs = await cloud.private_network(token="bob")
    their_port = await cloud.create("port", "ports", "bob", network_id=theirs["id"])
    assert (await _attach(cloud, server_id, net_id=theirs["id"])).status_code == 404
    resp = await _attach(cloud, server_id, port_id=their_port["id"])
    assert resp.status_code == 404
    assert "itemNotFound" in resp.json()
    assert (await _attach(cloud, server_id, token="bob", net_id=theirs["id"])).status_code == 404
    shown = await cloud.compute("GET", f"/servers/{server_id}/os-interface/{their_port['id']}")
    assert shown.status_code == 404
    gone = await cloud.compute("DELETE", f"/servers/{server_id}/os-interface/{their_port['id']}")
    assert gone.status_code == 404
    listed = await cloud.compute("GET", f"/servers/{server_id}/os-interface", token="bob")
    assert listed.status_code == 404
    assert len(await cloud.ports_of(server_id)) == 1


async def test_bad_bodies_and_states(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    port = await cloud.create("port", "ports", network_id=net["id"])
    both = await _attach(cloud, server_id, net_id=net["id"], port_id=port["id"])
    assert both.status_code == 400 and "both" in both.text
    ip_alone = await _attach(cloud, server_id, fixed_ips=[{"ip_address": "10.0.0.5"}])
    assert ip_alone.status_code == 400
    assert (await _attach(cloud, server_id, net_id="not-a-uuid")).status_code == 400
    assert (await _attach(cloud, server_id, port_id=port["id"], token="reader")).status_code == 403
    await set_task(cloud.flow, server_id, None, vm_state=states.SUSPENDED)
    resp = await _attach(cloud, server_id, port_id=port["id"])
    assert resp.status_code == 409 and "vm_state suspended" in resp.text
    gone = await cloud.compute("DELETE", f"/servers/{server_id}/os-interface/{port['id']}")
    assert gone.status_code == 409
    await set_task(cloud.flow, server_id, "rebooting", vm_state=states.ACTIVE)
    assert (await _attach(cloud, server_id, port_id=port["id"])).status_code == 409
    await set_task(cloud.flow, server_id, None)
    in_use = await cloud.create("port", "ports", network_id=net["id"], device_id="elsewhere")
    resp = await _attach(cloud, server_id, port_id=in_use["id"])
    assert resp.status_code == 409 and "in use" in resp.text


async def _cloud(tmp: Path, device_delay: float = 0.0, **compute: Any) -> NetworkedCloud:
    found = NetworkedCloud(tmp, **compute)
    await found.start(device_delay=device_delay)
    return found


@pytest.fixture
async def quick_cloud(tmp_path: Path) -> AsyncIterator[NetworkedCloud]:
    """A cloud whose attaches wait 5 s at most for network-vif-plugged."""
    found = await _cloud(tmp_path, vif_plugging_timeout=5)
    try:
        yield found
    finally:
        await found.stop()


async def test_one_port_attached_to_two_servers_at_once_goes_to_one(
    quick_cloud: NetworkedCloud,
) -> None:
    cloud = quick_cloud
    net = await cloud.private_network()
    servers = [await _server(cloud, net), await _server(cloud, net)]
    port = await cloud.create("port", "ports", network_id=net["id"])
    answers = await asyncio.gather(*(_attach(cloud, s, port_id=port["id"]) for s in servers))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 409], [r.text for r in answers]
    winner = servers[[r.status_code for r in answers].index(200)]
    loser = servers[1 - servers.index(winner)]
    shown = await _port(cloud, port["id"])
    assert shown is not None and shown["device_id"] == winner
    assert len((await cloud.instance(loser)).network_info) == 1
    assert port["id"] not in cloud.flow.driver("host1").guests[loser].vifs


async def test_a_failed_plug_undoes_every_step(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    cloud.flow.driver("host1").fail_next("attach_interface", "no free PCI slot")
    resp = await _attach(cloud, server_id, net_id=net["id"])
    assert resp.status_code == 500, resp.text
    assert "no free PCI slot" in resp.json()["computeFault"]["message"]
    assert len(await cloud.ports_of(server_id)) == 1  # the port it made is gone
    assert len((await cloud.instance(server_id)).network_info) == 1
    assert await _events(cloud, server_id, "compute_attach_interface") == ["Error"]
    shown = await cloud.server(server_id)
    assert shown["status"] == "ACTIVE"


async def test_security_groups_follow_the_ports(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    web = await cloud.create("security_group", "security-groups", name="web")

    async def act(name: str, group: str, token: str = "alice") -> Any:
        body = {name: {"name": group}}
        return await cloud.compute("POST", f"/servers/{server_id}/action", body, token=token)

    assert (await act("addSecurityGroup", "web")).status_code == 202
    (port,) = await cloud.ports_of(server_id)
    assert web["id"] in port["security_groups"]
    names = {g["name"] for g in (await cloud.server(server_id))["security_groups"]}
    assert names == {"default", "web"}
    detail = await cloud.compute("GET", "/servers/detail")
    (row,) = [s for s in detail.json()["servers"] if s["id"] == server_id]
    assert {g["name"] for g in row["security_groups"]} == {"default", "web"}
    listed = await cloud.compute("GET", f"/servers/{server_id}/os-security-groups")
    assert {g["name"] for g in listed.json()["security_groups"]} == {"default", "web"}
    again = await act("addSecurityGroup", web["id"])
    assert again.status_code == 400 and "already associated" in again.text
    assert (await act("addSecurityGroup", "nothing-like-it")).status_code == 404
    theirs = await cloud.create("security_group", "security-groups", "bob", name="theirs")
    assert (await act("addSecurityGroup", theirs["id"])).status_code == 404
    assert (await act("addSecurityGroup", "web", token="reader")).status_code == 403
    assert (await act("removeSecurityGroup", "web")).status_code == 202
    (port,) = await cloud.ports_of(server_id)
    assert web["id"] not in port["security_groups"]
    assert [g["name"] for g in (await cloud.server(server_id))["security_groups"]] == ["default"]
    gone = await act("removeSecurityGroup", "web")
    assert gone.status_code == 400 and "not associated" in gone.text


async def test_security_group_of_a_server_without_ports_is_not_found(
    cloud: NetworkedCloud,
) -> None:
    await cloud.private_network()
    await cloud.create("security_group", "security-groups", name="web")
    server_id = (await cloud.create_server("none")).json()["server"]["id"]
    await cloud.flow.wait_state(server_id, states.ACTIVE)
    body = {"addSecurityGroup": {"name": "web"}}
    resp = await cloud.compute("POST", f"/servers/{server_id}/action", body)
    assert resp.status_code == 404


async def test_attach_waits_for_vif_plugged_and_undoes_without_it(tmp_path: Path) -> None:
    cloud = await _cloud(tmp_path, vif_plugging_timeout=1)
    try:
        net = await cloud.private_network()
        server_id = await _server(cloud, net)
        cloud.agents["host1"].device_delay = 3600  # the next port is never reported wired
        resp = await _attach(cloud, server_id, net_id=net["id"])
        assert resp.status_code == 500, resp.text
        assert "network-vif-plugged" in resp.text
        assert len(await cloud.ports_of(server_id)) == 1
        assert len((await cloud.instance(server_id)).network_info) == 1
        assert len(cloud.flow.driver("host1").guests[server_id].vifs) == 0
    finally:
        await cloud.stop()


async def test_concurrent_security_group_changes_all_land(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    names = [f"sg{n}" for n in range(4)]
    for name in names:
        await cloud.create("security_group", "security-groups", name=name)
    path = f"/servers/{server_id}/action"
    sent = await asyncio.gather(
        *(cloud.compute("POST", path, {"addSecurityGroup": {"name": n}}) for n in names)
    )
    assert [r.status_code for r in sent] == [202] * 4, [r.text for r in sent]
    shown = {g["name"] for g in (await cloud.server(server_id))["security_groups"]}
    assert shown == {"default", *names}


async def test_a_failed_unplug_keeps_the_port_and_leaves_a_fault(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    (port,) = await cloud.ports_of(server_id)
    cloud.flow.driver("host1").fail_next("detach_interface", "guest did not let go")
    resp = await cloud.compute("DELETE", f"/servers/{server_id}/os-interface/{port['id']}")
    assert resp.status_code == 202, resp.text
    await await_until(
        lambda: _events(cloud, server_id, "compute_detach_interface"), 10, "detach recorded"
    )
    assert await _events(cloud, server_id, "compute_detach_interface") == ["Error"]
    assert len((await cloud.instance(server_id)).network_info) == 1
    kept = await _port(cloud, port["id"])
    assert kept is not None and kept["device_id"] == server_id


async def test_the_host_refuses_an_attach_once_an_action_started(cloud: NetworkedCloud) -> None:
    net = await cloud.private_network()
    server_id = await _server(cloud, net)
    # What the host sees if an action began between the API's check and the call.
    await set_task(cloud.flow, server_id, "rebooting")
    msg = AttachInterface(server_id, "req-late", network_id=net["id"])
    with pytest.raises(UnexpectedTaskState, match="rebooting"):
        await cloud.flow.rpc.call_agent(RequestContext(project_id="project-a"), "host1", msg)
    assert len(await cloud.ports_of(server_id)) == 1
