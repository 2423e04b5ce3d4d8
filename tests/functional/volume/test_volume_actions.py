"""Volume actions: extend (detached, attached, and compute's completion), retype within and
across backends, migrate, bootable and read-only flags, reset-status and force-delete."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.functional.volume import disks
from tests.functional.volume.conftest import BOTH_FORMATS, QCOW2, VolumeCloud, base_env, fault
from tests.functional.volume.test_attachments import _attach

GiB = 1024**3


async def _action(cloud: VolumeCloud, volume_id: str, name: str, args: Any, **kw: Any) -> Any:
    return await cloud.call("POST", f"/v3/volumes/{volume_id}/action", {name: args}, **kw)


@pytest.fixture
async def two_backends(tmp_path: Path) -> AsyncIterator[VolumeCloud]:
    env = base_env(
        tmp_path,
        NIMBOSTACK_VOLUME__ENABLED_BACKENDS="file,fast",
        NIMBOSTACK_BACKEND_FILE__VOLUME_FORMAT="qcow2",
        NIMBOSTACK_BACKEND_FAST__VOLUME_DRIVER="file",
        NIMBOSTACK_BACKEND_FAST__VOLUME_FORMAT="raw",
    )
    running = VolumeCloud(tmp_path, env)
    await running.start()
    for name, backend in (("slow", "file"), ("fast", "fast")):
        body = {"volume_type": {"name": name, "extra_specs": {"volume_backend_name": backend}}}
        await running.ok("POST", "/v3/types", body, token="admin")
    try:
        yield running
    finally:
        await running.stop()


@BOTH_FORMATS
async def test_extend_detached(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    resp = await _action(cloud, vol["id"], "os-extend", {"new_size": 3})
    assert resp.status_code == 202
    done = await cloud.wait_volume(vol["id"], "available")
    assert done["size"] == 3
    path = disks.volume_path(cloud.data_dir, vol["id"])
    assert await disks.virtual_size(path, cloud.fmt) == 3 * GiB
    smaller = await _action(cloud, vol["id"], "os-extend", {"new_size": 2})
    assert fault(smaller)[1] == 400 and "must be greater than current size" in fault(smaller)[2]


async def test_extend_over_quota(cloud: VolumeCloud) -> None:
    await cloud.ok(
        "PUT", "/v3/os-quota-sets/project-a", {"quota_set": {"gigabytes": 2}}, token="admin"
    )
    vol = await cloud.available_volume(size=1)
    resp = await _action(cloud, vol["id"], "os-extend", {"new_size": 3})
    assert fault(resp)[:2] == ("overLimit", 413)
    assert (await cloud.volume(vol["id"]))["status"] == "available"


@QCOW2
async def test_extend_attached_waits_for_compute(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    server = str(uuid.uuid4())
    await _attach(cloud, vol["id"], server)
    cloud.compute.servers.add(server)
    old = await _action(cloud, vol["id"], "os-extend", {"new_size": 2}, version="3.41")
    assert fault(old)[1] == 400  # attached volumes grow from 3.42 on
    assert (await _action(cloud, vol["id"], "os-extend", {"new_size": 2})).status_code == 202
    await cloud.wait_for(lambda: _events(cloud), lambda found: len(found) == 1)
    (event,) = cloud.compute.events
    assert event["name"] == "volume-extended" and event["tag"] == vol["id"]
    assert event["server_uuid"] == server
    # A qcow2 file held by QEMU grows from its host: the volume waits for compute.
    assert (await cloud.volume(vol["id"]))["status"] == "extending"
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["gigabytes"]["in_use"] == 2  # the new size is reserved
    user = await _action(cloud, vol["id"], "os-extend_volume_completion", {"error": False})
    assert fault(user)[1] == 403
    done = await _action(
        cloud, vol["id"], "os-extend_volume_completion", {"error": False}, token="admin"
    )
    assert done.status_code == 202
    grown = await cloud.wait_volume(vol["id"], "in-use")
    assert grown["size"] == 2


async def _events(cloud: VolumeCloud) -> list[dict[str, Any]]:
    return cloud.compute.events


@QCOW2
async def test_extend_attached_rolls_back_when_compute_refuses(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    await _attach(cloud, vol["id"], str(uuid.uuid4()))  # compute does not know the server
    assert (await _action(cloud, vol["id"], "os-extend", {"new_size": 2})).status_code == 202
    back = await cloud.wait_for(
        lambda: cloud.volume(vol["id"]), lambda v: v["status"] != "extending"
    )
    assert back["status"] == "in-use" and back["size"] == 1
    messages = await cloud.ok("GET", "/v3/messages", params={"resource_uuid": vol["id"]})
    assert "Compute service failed to extend volume" in messages["messages"][0]["user_message"]
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["gigabytes"]["in_use"] == 1


async def test_extend_attached_raw_volume_grows_at_once(two_backends: VolumeCloud) -> None:
    cloud = two_backends
    vol = await cloud.available_volume(size=1, volume_type="fast")
    server = str(uuid.uuid4())
    cloud.compute.servers.add(server)
    await _attach(cloud, vol["id"], server)
    assert (await _action(cloud, vol["id"], "os-extend", {"new_size": 2})).status_code == 202
    grown = await cloud.wait_for(lambda: cloud.volume(vol["id"]), lambda v: v["size"] == 2)
    assert grown["status"] == "in-use"
    path = disks.volume_path(cloud.data_dir, vol["id"], backend="fast")
    assert path.stat().st_size == 2 * GiB
    # The size is recorded first, then compute is told.
    events = await cloud.wait_for(lambda: _events(cloud), bool)
    assert events[0]["name"] == "volume-extended"


async def test_retype_moves_the_data_between_backends(two_backends: VolumeCloud) -> None:
    cloud = two_backends
    vol = await cloud.available_volume(size=1, volume_type="slow")
    old_path = disks.volume_path(cloud.data_dir, vol["id"], backend="file")
    await disks.write(old_path, "qcow2", 0, 2 * disks.MiB, 0x77)
    expected = await disks.digest(old_path, "qcow2", cloud.data_dir)
    never = await _action(cloud, vol["id"], "os-retype", {"new_type": "fast"})
    assert fault(never)[1] == 400 and "migration" in fault(never)[2]
    moving = {"new_type": "fast", "migration_policy": "on-demand"}
    assert (await _action(cloud, vol["id"], "os-retype", moving)).status_code == 202
    moved = await cloud.wait_for(
        lambda: cloud.volume(vol["id"]), lambda v: v["volume_type"] == "fast"
    )
    assert moved["status"] == "available"
    assert moved["os-vol-host-attr:host"] == "testhost@fast#fast"
    new_path = disks.volume_path(cloud.data_dir, vol["id"], backend="fast")
    assert await disks.digest(new_path, "raw", cloud.data_dir) == expected
    assert not old_path.exists()


async def test_retype_on_the_same_backend_keeps_the_data(two_backends: VolumeCloud) -> None:
    cloud = two_backends
    body = {"volume_type": {"name": "slow2", "extra_specs": {"volume_backend_name": "file"}}}
    await cloud.ok("POST", "/v3/types", body, token="admin")
    vol = await cloud.available_volume(size=1, volume_type="slow")
    assert (await _action(cloud, vol["id"], "os-retype", {"new_type": "slow2"})).status_code == 202
    done = await cloud.wait_for(
        lambda: cloud.volume(vol["id"]), lambda v: v["volume_type"] == "slow2"
    )
    assert done["status"] == "available"
    assert done["os-vol-host-attr:host"] == "testhost@file#file"


async def test_admin_migrate(two_backends: VolumeCloud) -> None:
    cloud = two_backends
    vol = await cloud.available_volume(size=1, volume_type="slow")
    user = await _action(cloud, vol["id"], "os-migrate_volume", {"host": "testhost@fast"})
    assert fault(user)[1] == 403
    resp = await _action(
        cloud, vol["id"], "os-migrate_volume", {"host": "testhost@fast#fast"}, token="admin"
    )
    assert resp.status_code == 202
    moved = await cloud.wait_for(
        lambda: cloud.volume(vol["id"]), lambda v: v["status"] == "available"
    )
    assert moved["os-vol-host-attr:host"] == "testhost@fast#fast"
    assert moved["migration_status"] == "success"
    nowhere = await _action(
        cloud, vol["id"], "os-migrate_volume", {"host": "nowhere@x"}, token="admin"
    )
    assert fault(nowhere)[1] == 400


async def test_flags_reset_and_force_delete(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    assert (
        await _action(cloud, vol["id"], "os-set_bootable", {"bootable": True})
    ).status_code == 200
    assert (await cloud.volume(vol["id"]))["bootable"] == "true"
    ro = await _action(cloud, vol["id"], "os-update_readonly_flag", {"readonly": True})
    assert ro.status_code == 202
    user_reset = await _action(cloud, vol["id"], "os-reset_status", {"status": "error"})
    assert fault(user_reset)[1] == 403
    bad_status = await _action(
        cloud, vol["id"], "os-reset_status", {"status": "bogus"}, token="admin"
    )
    assert fault(bad_status)[1] == 400
    reset = await _action(
        cloud, vol["id"], "os-reset_status", {"status": "creating"}, token="admin"
    )
    assert reset.status_code == 202
    refused = await cloud.call("DELETE", f"/v3/volumes/{vol['id']}")
    assert fault(refused)[1] == 400
    forced = await _action(cloud, vol["id"], "os-force_delete", {}, token="admin")
    assert forced.status_code == 202
    await cloud.wait_for(
        lambda: cloud.call("GET", f"/v3/volumes/{vol['id']}"), lambda r: r.status_code == 404
    )
    unknown = await _action(cloud, str(uuid.uuid4()), "os-frobnicate", {})
    assert fault(unknown) == ("badRequest", 400, "There is no such action: os-frobnicate")


async def test_deleting_an_in_use_volume_is_refused(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    await _attach(cloud, vol["id"], str(uuid.uuid4()))
    refused = await cloud.call("DELETE", f"/v3/volumes/{vol['id']}")
    assert fault(refused)[:2] == ("badRequest", 400)
    assert "attached" in fault(refused)[2]
    assert (await cloud.volume(vol["id"]))["status"] == "in-use"
    # A status reset does not make an attached volume deletable: its attachment counts.
    reset = {"os-reset_status": {"status": "available"}}
    await cloud.ok("POST", f"/v3/volumes/{vol['id']}/action", reset, token="admin")
    again = await cloud.call("DELETE", f"/v3/volumes/{vol['id']}")
    assert fault(again)[1] == 400
