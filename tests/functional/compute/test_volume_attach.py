"""Attaching volumes to servers and detaching them: API, agent flow, block storage."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.functional.compute.flow_support import LOOP_WATCH
from tests.functional.compute.volume_support import AttachCloud
from tests.support.waiting import await_until

pytestmark = LOOP_WATCH


@pytest.fixture
async def cloud(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[AttachCloud]:
    """Compute's database on SQLite, or (parametrized "postgres") a fresh PostgreSQL one."""
    postgres = None
    url = None
    name = f"compute_{uuid.uuid4().hex[:12]}"
    if getattr(request, "param", "sqlite") == "postgres":
        postgres = request.getfixturevalue("postgres_server")
        url = postgres.create_database(name)
    running = AttachCloud(tmp_path, url)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        if postgres is not None:
            postgres.drop_database(name)


SQLITE_AND_POSTGRES = pytest.mark.parametrize(
    "cloud", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


async def test_attach_then_detach_moves_the_volume_in_use_and_back(cloud: AttachCloud) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    resp = await cloud.attach(server, vol["id"], tag="data", delete_on_termination=False)
    assert resp.status_code == 200, resp.text
    shown = resp.json()["volumeAttachment"]
    assert shown["device"] == "/dev/vdb" and shown["volumeId"] == vol["id"]
    assert shown["serverId"] == server and shown["tag"] == "data" and "id" not in shown
    assert shown["attachment_id"] and shown["bdm_uuid"]
    found = await cloud.volumes.wait_volume(vol["id"], "in-use")
    assert found["attachments"][0]["server_id"] == server
    guest = cloud.driver.guests[server]
    assert guest.volumes[vol["id"]].connection["path"].endswith(f"volume-{vol['id']}")
    (bdm,) = await cloud.mappings(server)
    assert bdm.status == "attached" and bdm.connection_info
    assert bdm.connection_info["driver_volume_type"] == "file"
    shown = (await cloud.call("GET", f"/servers/{server}")).json()["server"]
    volumes = [{"id": vol["id"], "delete_on_termination": False}]
    assert shown["os-extended-volumes:volumes_attached"] == volumes
    detail = (await cloud.call("GET", "/servers/detail")).json()["servers"]
    assert (
        next(d for d in detail if d["id"] == server)["os-extended-volumes:volumes_attached"]
        == volumes
    )
    listed = await cloud.call("GET", f"/servers/{server}/os-volume_attachments")
    assert [a["volumeId"] for a in listed.json()["volumeAttachments"]] == [vol["id"]]
    old = await cloud.call(
        "GET", f"/servers/{server}/os-volume_attachments/{vol['id']}", version="2.1"
    )
    assert old.json()["volumeAttachment"]["id"] == vol["id"]
    assert "tag" not in old.json()["volumeAttachment"]

    resp = await cloud.detach(server, vol["id"])
    assert resp.status_code == 202, resp.text
    await cloud.volumes.wait_volume(vol["id"], "available")
    await cloud.flow.wait(server, lambda _i: vol["id"] not in guest.volumes)
    assert await _eventually_no_mappings(cloud, server)
    events = await cloud.call("GET", f"/servers/{server}/os-instance-actions")
    names = [a["action"] for a in events.json()["instanceActions"]]
    assert "attach_volume" in names and "detach_volume" in names


async def _eventually_no_mappings(cloud: AttachCloud, server: str) -> bool:
    async def gone() -> bool:
        return not await cloud.mappings(server)

    await await_until(gone, 10, f"no block device mappings of {server}")
    return True


async def test_a_failed_attach_leaves_the_volume_available_and_a_fault(
    cloud: AttachCloud,
) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    cloud.driver.fail_next("attach_volume", "the disk would not plug")
    resp = await cloud.attach(server, vol["id"])
    assert resp.status_code == 200, resp.text
    assert await _eventually_no_mappings(cloud, server)
    found = await cloud.volumes.wait_volume(vol["id"], "available")
    assert found["attachments"] == []
    assert vol["id"] not in cloud.driver.guests[server].volumes
    inst = await cloud.flow.instance(server)
    assert inst.vm_state == "active" and inst.task_state is None
    # The server is not in ERROR, so its fault is not shown; the failed event is.
    assert "the disk would not plug" in await cloud.last_fault(server)
    path = f"/servers/{server}/os-instance-actions"
    listed = (await cloud.call("GET", path, token="admin")).json()["instanceActions"]
    attach = next(a for a in listed if a["action"] == "attach_volume")
    action = await cloud.call("GET", f"{path}/{attach['request_id']}", token="admin")
    (event,) = action.json()["instanceAction"]["events"]
    assert event["event"] == "compute_attach_volume" and event["result"] == "Error"


async def test_a_stopped_server_gets_its_volume_when_started(cloud: AttachCloud) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    action = f"/servers/{server}/action"
    assert (await cloud.call("POST", action, {"os-stop": None})).status_code == 202
    await cloud.flow.wait_state(server, "stopped")
    assert (await cloud.attach(server, vol["id"])).status_code == 200
    await cloud.volumes.wait_volume(vol["id"], "in-use")
    assert (await cloud.call("POST", action, {"os-start": None})).status_code == 202
    await cloud.flow.wait_state(server, "active")
    (started,) = cloud.driver.guests[server].spec.volumes
    assert started.volume_id == vol["id"] and started.device == "/dev/vdb"
    assert started.driver_volume_type == "file"
    assert started.connection["path"].endswith(f"volume-{vol['id']}")


async def test_another_projects_volume_is_not_found(cloud: AttachCloud) -> None:
    server = await cloud.server()
    theirs = await cloud.volumes.available_volume(token="other")
    resp = await cloud.attach(server, theirs["id"])
    assert resp.status_code == 404, resp.text
    assert "could not be found" in resp.json()["itemNotFound"]["message"]
    # An admin sees the volume, but it may not go to a server of another project.
    resp = await cloud.attach(server, theirs["id"], token="admin")
    assert resp.status_code == 400, resp.text
    assert (await cloud.volumes.volume(theirs["id"]))["status"] == "available"
    # And another project's server is not found at all.
    resp = await cloud.attach(server, theirs["id"], token="other")
    assert resp.status_code == 404, resp.text
    assert await cloud.mappings(server) == []


async def test_bad_requests(cloud: AttachCloud) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    missing = "7d9bd3c5-0a16-4f3d-9d2c-6b1b1c0b6c0e"
    assert (await cloud.attach(server, missing)).status_code == 404
    assert (await cloud.attach(server, "not-a-uuid")).status_code == 400
    assert (await cloud.attach(server, vol["id"], tag="t", version="2.48")).status_code == 400
    assert (await cloud.attach(server, vol["id"], device="sdb")).status_code == 400
    assert (await cloud.attach(server, vol["id"], token="reader")).status_code == 403
    assert (await cloud.detach(server, vol["id"])).status_code == 404
    swap = await cloud.call(
        "PUT",
        f"/servers/{server}/os-volume_attachments/{vol['id']}",
        {"volumeAttachment": {"volumeId": missing}},
        token="admin",
    )
    assert swap.status_code == 404  # nothing attached to swap
    assert (await cloud.attach(server, vol["id"])).status_code == 200
    await cloud.volumes.wait_volume(vol["id"], "in-use")
    again = await cloud.attach(server, vol["id"])
    assert again.status_code == 400 and "already attached" in again.text
    other_server = await cloud.server()
    in_use = await cloud.attach(other_server, vol["id"])
    assert in_use.status_code == 400, in_use.text
    assert await cloud.mappings(other_server) == []
    swap = await cloud.call(
        "PUT",
        f"/servers/{server}/os-volume_attachments/{vol['id']}",
        {"volumeAttachment": {"volumeId": missing}},
        token="admin",
    )
    assert swap.status_code == 400 and "not supported" in swap.text
    await cloud.set_state(server, vm_state="active", task_state="rebooting")
    busy = await cloud.detach(server, vol["id"])
    assert busy.status_code == 409, busy.text


@SQLITE_AND_POSTGRES
async def test_two_attaches_of_one_volume_at_once_have_one_winner(cloud: AttachCloud) -> None:
    first, second = await cloud.server(), await cloud.server()
    vol = await cloud.volumes.available_volume()
    answers = await asyncio.gather(cloud.attach(first, vol["id"]), cloud.attach(second, vol["id"]))
    assert sorted(r.status_code for r in answers) == [200, 400], [r.text for r in answers]
    winner = first if answers[0].status_code == 200 else second
    loser = second if winner == first else first
    found = await cloud.volumes.wait_volume(vol["id"], "in-use")
    assert [a["server_id"] for a in found["attachments"]] == [winner]
    assert await cloud.mappings(loser) == []
    # One server, the same volume twice at once: one mapping.
    vol2 = await cloud.volumes.available_volume()
    answers = await asyncio.gather(
        cloud.attach(winner, vol2["id"]), cloud.attach(winner, vol2["id"])
    )
    assert sorted(r.status_code for r in answers) == [200, 400], [r.text for r in answers]
    await cloud.volumes.wait_volume(vol2["id"], "in-use")
    assert len([m for m in await cloud.mappings(winner) if m.volume_id == vol2["id"]]) == 1


async def test_deleting_the_server_releases_its_volumes(cloud: AttachCloud) -> None:
    server = await cloud.server()
    kept = await cloud.volumes.available_volume()
    dropped = await cloud.volumes.available_volume()
    assert (await cloud.attach(server, kept["id"])).status_code == 200
    resp = await cloud.attach(server, dropped["id"], delete_on_termination=True)
    assert resp.status_code == 200 and resp.json()["volumeAttachment"]["device"] == "/dev/vdc"
    await cloud.volumes.wait_volume(kept["id"], "in-use")
    await cloud.volumes.wait_volume(dropped["id"], "in-use")
    assert (await cloud.call("DELETE", f"/servers/{server}")).status_code == 204
    await cloud.volumes.wait_volume(kept["id"], "available")
    await cloud.volumes.wait_for(
        lambda: cloud.volumes.call("GET", f"/v3/volumes/{dropped['id']}", token="admin"),
        lambda r: r.status_code == 404,
    )
    assert await _eventually_no_mappings(cloud, server)


async def test_a_failed_detach_keeps_the_volume_attached(cloud: AttachCloud) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    assert (await cloud.attach(server, vol["id"])).status_code == 200
    await cloud.volumes.wait_volume(vol["id"], "in-use")
    cloud.driver.fail_next("detach_volume", "the guest holds the disk")

    async def back_to_attached() -> bool:
        return [m.status for m in await cloud.mappings(server)] == ["attached"]

    await await_until(back_to_attached, 10, "the mapping attached")
    assert (await cloud.detach(server, vol["id"])).status_code == 202
    await await_until(lambda: _detach_failed(cloud, server), 10, "the failed detach")
    assert await back_to_attached()
    assert (await cloud.volumes.volume(vol["id"]))["status"] == "in-use"
    assert vol["id"] in cloud.driver.guests[server].volumes
    assert "the guest holds the disk" in await cloud.last_fault(server)
    # Once the guest lets go, the detach goes through.
    assert (await cloud.detach(server, vol["id"])).status_code == 202
    await cloud.volumes.wait_volume(vol["id"], "available")


async def _detach_failed(cloud: AttachCloud, server: str) -> bool:
    return "the guest holds the disk" in await cloud.last_fault(server)


async def test_two_detaches_at_once_have_one_winner(cloud: AttachCloud) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    assert (await cloud.attach(server, vol["id"])).status_code == 200
    await cloud.volumes.wait_volume(vol["id"], "in-use")

    async def attached() -> bool:
        return [m.status for m in await cloud.mappings(server)] == ["attached"]

    await await_until(attached, 10, "the mapping attached")
    answers = await asyncio.gather(cloud.detach(server, vol["id"]), cloud.detach(server, vol["id"]))
    assert sorted(r.status_code for r in answers) == [202, 400], [r.text for r in answers]
    await cloud.volumes.wait_volume(vol["id"], "available")
    assert await _eventually_no_mappings(cloud, server)


async def test_delete_on_termination_can_be_changed_from_2_85(cloud: AttachCloud) -> None:
    server = await cloud.server()
    vol = await cloud.volumes.available_volume()
    assert (await cloud.attach(server, vol["id"])).status_code == 200
    path = f"/servers/{server}/os-volume_attachments/{vol['id']}"
    body = {"volumeAttachment": {"volumeId": vol["id"], "delete_on_termination": True}}
    assert (await cloud.call("PUT", path, body, version="2.84")).status_code == 400
    assert (await cloud.call("PUT", path, body, version="2.85")).status_code == 202
    shown = (await cloud.call("GET", path)).json()["volumeAttachment"]
    assert shown["delete_on_termination"] is True
    moved = {"volumeAttachment": {"volumeId": vol["id"], "device": "/dev/vdz"}}
    assert (await cloud.call("PUT", path, moved, version="2.85")).status_code == 400
