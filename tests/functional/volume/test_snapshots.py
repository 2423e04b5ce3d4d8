"""Snapshots, volumes from snapshots and clones: the data really is the source's."""

from __future__ import annotations

import uuid
from typing import Any

from tests.functional.volume import disks
from tests.functional.volume.conftest import BOTH_FORMATS, VolumeCloud, fault
from tests.functional.volume.test_attachments import _attach

pytestmark = BOTH_FORMATS
MiB = disks.MiB


async def _snapshot(cloud: VolumeCloud, volume_id: str, **extra: Any) -> dict[str, Any]:
    body = {"snapshot": {"volume_id": volume_id, "name": "s", **extra}}
    made = (await cloud.ok("POST", "/v3/snapshots", body))["snapshot"]

    async def probe() -> Any:
        return (await cloud.ok("GET", f"/v3/snapshots/{made['id']}"))["snapshot"]

    found = await cloud.wait_for(probe, lambda s: s["status"] in ("available", "error"))
    assert found["status"] == "available", found
    return dict(found)


async def test_snapshot_then_volume_from_it_holds_the_data(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    path = disks.volume_path(cloud.data_dir, vol["id"])
    await disks.write(path, cloud.fmt, 0, MiB, 0xAB)
    await disks.write(path, cloud.fmt, 512 * MiB, MiB, 0xCD)
    snap = await _snapshot(cloud, vol["id"])
    assert snap["size"] == 1 and snap["volume_id"] == vol["id"]
    await disks.write(path, cloud.fmt, 0, MiB, 0x11)  # later writes do not reach the snapshot
    restored = await cloud.available_volume(snapshot_id=snap["id"], size=2)
    new_path = disks.volume_path(cloud.data_dir, restored["id"])
    assert restored["snapshot_id"] == snap["id"] and restored["size"] == 2
    assert await disks.virtual_size(new_path, cloud.fmt) == 2 * 1024**3
    snap_file = cloud.data_dir / "volumes" / "file" / f"snapshot-{snap['id']}"
    assert await disks.same_data(snap_file, cloud.fmt, new_path, cloud.fmt)
    assert not await disks.same_data(path, cloud.fmt, new_path, cloud.fmt)


async def test_clone_copies_the_data(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    path = disks.volume_path(cloud.data_dir, vol["id"])
    await disks.write(path, cloud.fmt, 4 * MiB, 2 * MiB, 0x5A)
    clone = await cloud.available_volume(source_volid=vol["id"])
    assert clone["source_volid"] == vol["id"] and clone["size"] == 1
    assert await disks.same_data(
        path, cloud.fmt, disks.volume_path(cloud.data_dir, clone["id"]), cloud.fmt
    )


async def test_smaller_than_the_source_is_refused(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=2)
    snap = await _snapshot(cloud, vol["id"])
    for source in ({"snapshot_id": snap["id"]}, {"source_volid": vol["id"]}):
        resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 1, **source}})
        assert fault(resp)[1] == 400 and "cannot be smaller" in fault(resp)[2]


async def test_in_use_snapshot_needs_force_before_3_66(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    await _attach(cloud, vol["id"], str(uuid.uuid4()))
    body = {"snapshot": {"volume_id": vol["id"]}}
    old = await cloud.call("POST", "/v3/snapshots", body, version="3.65")
    assert fault(old)[1] == 400 and "in-use" in fault(old)[2]
    forced = await cloud.call(
        "POST",
        "/v3/snapshots",
        {"snapshot": {"volume_id": vol["id"], "force": True}},
        version="3.65",
    )
    assert forced.status_code == 202
    new = await cloud.call("POST", "/v3/snapshots", body, version="3.66")
    assert new.status_code == 202


async def test_deleting_a_volume_with_snapshots(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    snap = await _snapshot(cloud, vol["id"])
    refused = await cloud.call("DELETE", f"/v3/volumes/{vol['id']}")
    assert fault(refused)[1] == 400 and "have snapshots" in fault(refused)[2]
    cascade = await cloud.call("DELETE", f"/v3/volumes/{vol['id']}", params={"cascade": "true"})
    assert cascade.status_code == 202
    await cloud.wait_for(
        lambda: cloud.call("GET", f"/v3/volumes/{vol['id']}"), lambda r: r.status_code == 404
    )
    gone = await cloud.call("GET", f"/v3/snapshots/{snap['id']}")
    assert gone.status_code == 404
    assert list((cloud.data_dir / "volumes" / "file").glob("snapshot-*")) == []


async def test_snapshot_list_metadata_and_delete(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume()
    snap = await _snapshot(cloud, vol["id"], metadata={"k": "v"})
    listed = await cloud.ok("GET", "/v3/snapshots/detail", version="3.65")
    (shown,) = listed["snapshots"]
    assert shown["metadata"] == {"k": "v"} and shown["consumes_quota"] is True
    assert shown["user_id"] == "member-user"
    await cloud.ok("PUT", f"/v3/snapshots/{snap['id']}/metadata/k", {"meta": {"k": "w"}})
    meta = await cloud.ok("GET", f"/v3/snapshots/{snap['id']}/metadata")
    assert meta["metadata"] == {"k": "w"}
    other = await cloud.call("GET", f"/v3/snapshots/{snap['id']}", token="other")
    assert other.status_code == 404
    other_delete = await cloud.call("DELETE", f"/v3/snapshots/{snap['id']}", token="other")
    assert other_delete.status_code == 404
    assert (await cloud.call("DELETE", f"/v3/snapshots/{snap['id']}")).status_code == 202
    await cloud.wait_for(
        lambda: cloud.call("GET", f"/v3/snapshots/{snap['id']}"), lambda r: r.status_code == 404
    )
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["snapshots"]["in_use"] == 0
