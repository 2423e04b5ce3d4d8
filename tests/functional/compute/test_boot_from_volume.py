"""Servers booting from volumes: the mappings' checks, the build, delete and failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nimbostack.compute import states
from tests.functional.compute.boot_volume_support import BootCloud, image_root, volume_root
from tests.functional.compute.flow_support import LOOP_WATCH
from tests.functional.compute.volume_support import HOST
from tests.support.waiting import await_until

pytestmark = LOOP_WATCH


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[BootCloud]:
    running = BootCloud(tmp_path)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def _message(resp: Any) -> str:
    return str(resp.json()["badRequest"]["message"])


async def test_boot_from_a_named_volume(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    server = await cloud.active([volume_root(vol["id"])])
    found = await cloud.volumes.wait_volume(vol["id"], "in-use")
    (attachment,) = found["attachments"]
    assert attachment["server_id"] == server and attachment["host_name"] == HOST
    root = cloud.driver.guests[server].spec.root_volume
    assert root is not None and root.volume_id == vol["id"] and root.device == "/dev/vda"
    assert root.connection["path"].endswith(f"volume-{vol['id']}")
    shown = (await cloud.call("GET", f"/servers/{server}")).json()["server"]
    assert shown["image"] == ""
    assert shown["os-extended-volumes:volumes_attached"] == [
        {"id": vol["id"], "delete_on_termination": False}
    ]
    listed = await cloud.call("GET", f"/servers/{server}/os-volume_attachments")
    assert [a["volumeId"] for a in listed.json()["volumeAttachments"]] == [vol["id"]]
    # The root disk is the volume: nothing of the host's disk is claimed for it.
    allocations = await cloud.flow.allocations(server)
    (resources,) = [a["resources"] for a in allocations.values()]
    assert "DISK_GB" not in resources and resources["MEMORY_MB"] == 128


async def test_delete_keeps_a_volume_not_deleted_on_termination(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    server = await cloud.active([volume_root(vol["id"], delete_on_termination=False)])
    assert (await cloud.call("DELETE", f"/servers/{server}")).status_code == 204
    found = await cloud.volumes.wait_volume(vol["id"], "available")
    assert found["attachments"] == []
    assert await cloud.mappings(server) == []


async def test_delete_removes_a_volume_deleted_on_termination(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    server = await cloud.active([volume_root(vol["id"], delete_on_termination=True)])
    assert (await cloud.call("DELETE", f"/servers/{server}")).status_code == 204
    await await_until(lambda: cloud.gone(vol["id"]), 30, "the root volume deleted")


async def test_boot_from_image_makes_and_attaches_the_volume(
    cloud: BootCloud, tmp_path: Path
) -> None:
    image = await cloud.image(tmp_path, hw_disk_bus="virtio")
    server = await cloud.active([image_root(image["id"], delete_on_termination=True)])
    (bdm,) = await cloud.mappings(server)
    assert bdm.boot_index == 0 and bdm.status == "attached" and bdm.device_name == "/dev/vda"
    vol = await cloud.volumes.volume(bdm.volume_id)
    assert vol["status"] == "in-use" and vol["size"] == 1 and vol["bootable"] == "true"
    assert vol["volume_image_metadata"]["image_id"] == image["id"]
    assert vol["attachments"][0]["host_name"] == HOST
    assert vol["attachments"][0]["server_id"] == server
    root = cloud.driver.guests[server].spec.root_volume
    assert root is not None and root.volume_id == bdm.volume_id
    shown = (await cloud.call("GET", f"/servers/{server}")).json()["server"]
    assert shown["image"] == ""
    assert (await cloud.call("DELETE", f"/servers/{server}")).status_code == 204
    await await_until(lambda: cloud.gone(bdm.volume_id), 30, "the made volume deleted")


async def test_boot_from_blank_volume_keeps_it_after_delete(cloud: BootCloud) -> None:
    server = await cloud.active([{**BLANK, "boot_index": 0}])
    (bdm,) = await cloud.mappings(server)
    assert not bdm.delete_on_termination
    assert (await cloud.call("DELETE", f"/servers/{server}")).status_code == 204
    found = await cloud.volumes.wait_volume(bdm.volume_id, "available")
    assert found["attachments"] == []


async def test_a_failed_build_deletes_the_volume_it_made(cloud: BootCloud, tmp_path: Path) -> None:
    image = await cloud.image(tmp_path)
    cloud.driver.fail_next("spawn", "no room for the guest")
    server = await cloud.created([image_root(image["id"])])
    await cloud.wait_vm_state(server, "error")
    await await_until(
        lambda: _no_volumes(cloud), 30, "the volume made for the failed build deleted"
    )
    assert await cloud.mappings(server) == []


async def _no_volumes(cloud: BootCloud) -> bool:
    return await cloud.volumes_of_project() == []


async def test_a_failed_build_frees_a_named_volume_at_delete(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    cloud.driver.fail_next("spawn", "no room for the guest")
    server = await cloud.created([volume_root(vol["id"])])
    await cloud.wait_vm_state(server, "error")
    # The user's volume is kept (not made by the build) and freed with the server.
    assert (await cloud.volumes.volume(vol["id"]))["status"] != "deleting"
    assert (await cloud.call("DELETE", f"/servers/{server}")).status_code == 204
    found = await cloud.volumes.wait_volume(vol["id"], "available")
    assert found["attachments"] == []


async def test_another_projects_volume_is_refused(cloud: BootCloud) -> None:
    vol = await cloud.volumes.create_volume(token="other", size=1)
    await cloud.volumes.wait_volume(vol["id"], "available")
    resp = await cloud.create([volume_root(vol["id"])])
    assert resp.status_code == 400, resp.text
    assert f"failed to get volume {vol['id']}" in _message(resp)
    assert (await cloud.volumes.volume(vol["id"]))["attachments"] == []


async def test_a_volume_in_use_is_refused(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    await cloud.active([volume_root(vol["id"])])
    resp = await cloud.create([volume_root(vol["id"])])
    assert resp.status_code == 400, resp.text
    assert "status must be 'available'. Currently in 'in-use'" in _message(resp)


async def test_two_servers_racing_for_one_volume_one_wins(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    first, second = await asyncio.gather(
        cloud.create([volume_root(vol["id"])]), cloud.create([volume_root(vol["id"])])
    )
    codes = sorted([first.status_code, second.status_code])
    assert codes == [202, 400], (first.text, second.text)
    winner = first if first.status_code == 202 else second
    server = winner.json()["server"]["id"]
    loser = second if winner is first else first
    assert "Invalid volume" in _message(loser)
    await cloud.flow.wait_state(server, states.ACTIVE, timeout=30)
    found = await cloud.volumes.wait_volume(vol["id"], "in-use")
    assert [a["server_id"] for a in found["attachments"]] == [server]
    listed = await cloud.call("GET", "/servers")
    assert [s["id"] for s in listed.json()["servers"]] == [server]


BLANK = {"source_type": "blank", "destination_type": "volume", "volume_size": 1}
BAD_MAPPINGS = [
    pytest.param(
        [BLANK],
        "Boot sequence for the instance",
        id="no-boot-index-0-without-image",
    ),
    pytest.param(
        [{"uuid": "IMAGE", "source_type": "image", "destination_type": "volume", "boot_index": 0}],
        "need to have a non-zero size specified",
        id="image-to-volume-without-size",
    ),
    pytest.param(
        [{"uuid": "VOLUME", "source_type": "volume", "destination_type": "local", "boot_index": 0}],
        "a volume cannot be a local disk",
        id="volume-to-local",
    ),
    pytest.param(
        [{"uuid": "VOLUME", "source_type": "floppy", "destination_type": "volume"}],
        "source_type 'floppy'",
        id="unknown-source",
    ),
    pytest.param(
        [{**volume_root("VOLUME"), "disk_bus": "scsi"}],
        "disk_bus 'scsi' is not supported",
        id="disk-bus-not-virtio",
    ),
    pytest.param(
        [{"source_type": "volume", "destination_type": "volume", "boot_index": 0}],
        "a volume source needs a uuid",
        id="volume-without-uuid",
    ),
    pytest.param(
        [volume_root("VOLUME"), {**BLANK, "boot_index": 2}],
        "Boot sequence for the instance",
        id="boot-index-gap",
    ),
    pytest.param(
        [volume_root("00000000-0000-0000-0000-000000000000")],
        "failed to get volume 00000000-0000-0000-0000-000000000000",
        id="volume-not-found",
    ),
]


@pytest.mark.parametrize(("mappings", "message"), BAD_MAPPINGS)
async def test_bad_mappings_are_refused(
    cloud: BootCloud, tmp_path: Path, mappings: list[dict[str, Any]], message: str
) -> None:
    image = await cloud.image(tmp_path)
    vol = await cloud.volumes.available_volume(size=1)
    for mapping in mappings:
        if mapping.get("uuid") == "IMAGE":
            mapping["uuid"] = image["id"]
        if mapping.get("uuid") == "VOLUME":
            mapping["uuid"] = vol["id"]
    resp = await cloud.create(mappings)
    assert resp.status_code == 400, resp.text
    assert message in _message(resp)
    assert (await cloud.call("GET", "/servers")).json()["servers"] == []
    assert (await cloud.volumes.volume(vol["id"]))["status"] == "available"


async def test_a_volume_for_several_servers_is_refused(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    resp = await cloud.create([volume_root(vol["id"])], min_count=2)
    assert resp.status_code == 400, resp.text
    assert "multiple instances" in _message(resp)


async def test_rebuild_of_a_volume_backed_server_is_a_conflict(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    server = await cloud.active([volume_root(vol["id"])])
    for action in ({"rebuild": {"imageRef": vol["id"]}}, {"shelve": None}):
        resp = await cloud.call("POST", f"/servers/{server}/action", action)
        assert resp.status_code == 409, resp.text
        assert "boots from a volume" in resp.json()["conflictingRequest"]["message"]


async def test_power_actions_work_on_a_volume_backed_server(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    server = await cloud.active([volume_root(vol["id"])])
    for action, state in (("os-stop", "stopped"), ("os-start", "active"), ("pause", "paused")):
        resp = await cloud.call("POST", f"/servers/{server}/action", {action: None})
        assert resp.status_code == 202, resp.text
        await cloud.wait_vm_state(server, state)
    root = cloud.driver.guests[server].spec.root_volume
    assert root is not None and root.volume_id == vol["id"]


async def test_the_root_volume_cannot_be_detached(cloud: BootCloud) -> None:
    vol = await cloud.volumes.available_volume(size=1)
    server = await cloud.active([volume_root(vol["id"])])
    resp = await cloud.detach(server, vol["id"])
    assert resp.status_code == 403, resp.text
    assert resp.json()["forbidden"]["message"] == "Cannot detach a root device volume"
    assert (await cloud.volumes.volume(vol["id"]))["status"] == "in-use"


async def test_the_clis_local_image_mapping_boots_the_image(
    cloud: BootCloud, tmp_path: Path
) -> None:
    image = await cloud.image(tmp_path)
    local = {
        "uuid": image["id"],
        "boot_index": 0,
        "source_type": "image",
        "destination_type": "local",
        "delete_on_termination": True,
    }
    server = await cloud.active([local], imageRef=image["id"])
    shown = (await cloud.call("GET", f"/servers/{server}")).json()["server"]
    assert shown["image"]["id"] == image["id"]
    assert await cloud.mappings(server) == []
    allocations = await cloud.flow.allocations(server)
    (resources,) = [a["resources"] for a in allocations.values()]
    assert resources["DISK_GB"] == 1


async def test_boot_from_a_snapshot_makes_a_volume_of_it(cloud: BootCloud) -> None:
    source = await cloud.volumes.available_volume(size=1)
    body = {"snapshot": {"volume_id": source["id"], "name": "snap"}}
    snap = (await cloud.volumes.ok("POST", "/v3/snapshots", body))["snapshot"]
    await cloud.volumes.wait_for(
        lambda: cloud.volumes.ok("GET", f"/v3/snapshots/{snap['id']}"),
        lambda found: found["snapshot"]["status"] == "available",
    )
    mapping = {
        "uuid": snap["id"],
        "source_type": "snapshot",
        "destination_type": "volume",
        "boot_index": 0,
        "delete_on_termination": True,
    }
    server = await cloud.active([mapping])
    (bdm,) = await cloud.mappings(server)
    made = await cloud.volumes.volume(bdm.volume_id)
    assert made["snapshot_id"] == snap["id"] and made["status"] == "in-use"
    assert bdm.volume_id != source["id"] and bdm.boot_index == 0


async def test_the_root_volumes_image_minimum_ram_is_checked(
    cloud: BootCloud, tmp_path: Path
) -> None:
    image = await cloud.image(tmp_path, min_ram=4096)
    vol = await cloud.volumes.available_volume(size=1, imageRef=image["id"])
    for mapping in (image_root(image["id"]), volume_root(vol["id"])):
        resp = await cloud.create([mapping])
        assert resp.status_code == 400, resp.text
        assert _message(resp) == "Flavor's memory is too small for requested image."
    assert await cloud.volumes_of_project() == [await cloud.volumes.volume(vol["id"], "member")]
