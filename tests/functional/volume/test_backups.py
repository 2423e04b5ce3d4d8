"""Backups into the posix store: full and incremental, sparse, checksummed, restored."""

from __future__ import annotations

import json
from typing import Any

from tests.functional.volume import disks
from tests.functional.volume.conftest import BOTH_FORMATS, VolumeCloud, fault

pytestmark = BOTH_FORMATS
MiB = disks.MiB


async def _backup(cloud: VolumeCloud, volume_id: str, **extra: Any) -> dict[str, Any]:
    made = await cloud.ok("POST", "/v3/backups", {"backup": {"volume_id": volume_id, **extra}})
    backup_id = made["backup"]["id"]

    async def probe() -> Any:
        return (await cloud.ok("GET", f"/v3/backups/{backup_id}"))["backup"]

    found = await cloud.wait_for(probe, lambda b: b["status"] in ("available", "error"))
    assert found["status"] == "available", found
    return dict(found)


def _store(cloud: VolumeCloud, backup_id: str) -> Any:
    return cloud.data_dir / "backups" / backup_id[:2] / backup_id


async def test_backup_stores_only_the_data_and_restores_it(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=2)
    path = disks.volume_path(cloud.data_dir, vol["id"])
    await disks.write(path, cloud.fmt, 0, 3 * MiB, 0x61)
    await disks.write(path, cloud.fmt, 1536 * MiB, MiB, 0x62)
    backup = await _backup(cloud, vol["id"], name="b1")
    assert backup["size"] == 2 and backup["is_incremental"] is False
    assert (await cloud.volume(vol["id"]))["status"] == "available"
    store = _store(cloud, backup["id"])
    chunks = sorted(p.name for p in store.glob("chunk-*"))
    assert backup["object_count"] == len(chunks) == 2  # 4 MiB chunks: two hold data
    stored = sum(p.stat().st_size for p in store.glob("chunk-*"))
    assert stored < 200 * 1024  # 4 MiB of one repeated byte compresses to almost nothing
    # Restore into a new volume, and into an existing one: the same data.
    resp = await cloud.ok("POST", f"/v3/backups/{backup['id']}/restore", {"restore": {}})
    new_id = resp["restore"]["volume_id"]
    await cloud.wait_volume(new_id, "available")
    assert await disks.same_data(
        path, cloud.fmt, disks.volume_path(cloud.data_dir, new_id), cloud.fmt
    )
    target = await cloud.available_volume(size=3)
    restore = {"restore": {"volume_id": target["id"]}}
    await cloud.ok("POST", f"/v3/backups/{backup['id']}/restore", restore)
    await cloud.wait_volume(target["id"], "available")
    target_path = disks.volume_path(cloud.data_dir, target["id"])
    assert await disks.same_data(path, cloud.fmt, target_path, cloud.fmt)
    assert await disks.virtual_size(target_path, cloud.fmt) == 3 * 1024**3


async def test_incremental_backup_stores_only_changes(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    path = disks.volume_path(cloud.data_dir, vol["id"])
    await disks.write(path, cloud.fmt, 0, 12 * MiB, 0x33)
    full = await _backup(cloud, vol["id"])
    await disks.write(path, cloud.fmt, 4 * MiB, MiB, 0x34)  # changes the second 4 MiB chunk
    incremental = await _backup(cloud, vol["id"], incremental=True)
    assert incremental["is_incremental"] is True
    assert incremental["object_count"] == 1
    manifest = json.loads((_store(cloud, incremental["id"]) / "manifest.json").read_text())
    holders = {index: holder for index, _sha, holder in manifest["chunks"]}
    assert holders == {0: full["id"], 1: incremental["id"], 2: full["id"]}
    shown = (await cloud.ok("GET", f"/v3/backups/{full['id']}"))["backup"]
    assert shown["has_dependent_backups"] is True
    refused = await cloud.call("DELETE", f"/v3/backups/{full['id']}")
    assert fault(refused)[1] == 400 and "Incremental backups exist" in fault(refused)[2]
    restored = await cloud.ok("POST", f"/v3/backups/{incremental['id']}/restore", {"restore": {}})
    new_id = restored["restore"]["volume_id"]
    await cloud.wait_volume(new_id, "available")
    assert await disks.same_data(
        path, cloud.fmt, disks.volume_path(cloud.data_dir, new_id), cloud.fmt
    )


async def test_a_corrupt_chunk_fails_the_restore(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    await disks.write(disks.volume_path(cloud.data_dir, vol["id"]), cloud.fmt, 0, MiB, 0x44)
    backup = await _backup(cloud, vol["id"])
    chunk = _store(cloud, backup["id"]) / "chunk-0"
    data = bytearray(chunk.read_bytes())
    data[-1] ^= 0xFF
    chunk.write_bytes(bytes(data))
    target = await cloud.available_volume(size=1)
    restore = {"restore": {"volume_id": target["id"]}}
    await cloud.ok("POST", f"/v3/backups/{backup['id']}/restore", restore)
    failed = await cloud.wait_volume(target["id"], "error", "available")
    assert failed["status"] == "error"
    messages = await cloud.ok("GET", "/v3/messages", params={"resource_uuid": target["id"]})
    assert "restore backup" in messages["messages"][0]["user_message"]
    again = (await cloud.ok("GET", f"/v3/backups/{backup['id']}"))["backup"]
    assert again["status"] == "available"


async def test_backup_rules(cloud: VolumeCloud) -> None:
    vol = await cloud.available_volume(size=1)
    backup = await _backup(cloud, vol["id"])
    other = await cloud.call("GET", f"/v3/backups/{backup['id']}", token="other")
    assert other.status_code == 404
    other_restore = await cloud.call(
        "POST", f"/v3/backups/{backup['id']}/restore", {"restore": {}}, token="other"
    )
    assert other_restore.status_code == 404
    small = await cloud.call("POST", "/v3/volumes", {"volume": {"backup_id": backup["id"]}})
    assert small.status_code == 202
    made = await cloud.wait_volume(small.json()["volume"]["id"], "available", "error")
    assert made["status"] == "available" and made["size"] == 1
    usage = await cloud.ok("GET", "/v3/os-quota-sets/project-a", params={"usage": "true"})
    assert usage["quota_set"]["backups"]["in_use"] == 1
    assert usage["quota_set"]["backup_gigabytes"]["in_use"] == 1
    deleted = await cloud.call("DELETE", f"/v3/backups/{backup['id']}")
    assert deleted.status_code == 202
    await cloud.wait_for(
        lambda: cloud.call("GET", f"/v3/backups/{backup['id']}"), lambda r: r.status_code == 404
    )
    assert not _store(cloud, backup["id"]).exists()


async def test_written_zeros_are_not_stored(cloud: VolumeCloud) -> None:
    """Chunks that hold only zeros (written, so not holes) cost nothing in the store."""
    vol = await cloud.available_volume(size=1)
    path = disks.volume_path(cloud.data_dir, vol["id"])
    await disks.write(path, cloud.fmt, 0, MiB, 0x55)
    await disks.write(path, cloud.fmt, 8 * MiB, 8 * MiB, 0x00)
    backup = await _backup(cloud, vol["id"])
    assert backup["object_count"] == 1
    assert [p.name for p in _store(cloud, backup["id"]).glob("chunk-*")] == ["chunk-0"]
