"""Volumes from images (checked before any QEMU tool reads them, cached per backend) and
volumes uploaded to images."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.functional.volume import disks
from tests.functional.volume.conftest import BOTH_FORMATS, VolumeCloud, fault
from tests.support.dangerous_images import BY_NAME, host_secret

pytestmark = BOTH_FORMATS
MiB = disks.MiB


async def _qcow2_image(directory: Path, name: str = "guest.qcow2") -> Path:
    """A small qcow2 image with data at its start, as a guest image would have."""
    path = directory / name
    create = ["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"]
    await asyncio.to_thread(subprocess.run, create, check=True)
    await disks.write(path, "qcow2", 0, MiB, 0x7E)
    return path


async def _messages(cloud: VolumeCloud, volume_id: str) -> list[dict[str, Any]]:
    found = await cloud.ok("GET", "/v3/messages", params={"resource_uuid": volume_id})
    return list(found["messages"])


async def test_volume_from_image_is_bootable_with_its_metadata(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    source = await _qcow2_image(tmp_path)
    image = cloud.images.add(source, "qcow2", name="nimbo-guest", hw_disk_bus="virtio")
    vol = await cloud.available_volume(size=1, imageRef=image["id"])
    assert vol["bootable"] == "true"
    meta = vol["volume_image_metadata"]
    assert meta["image_id"] == image["id"] and meta["image_name"] == "nimbo-guest"
    assert meta["disk_format"] == "qcow2" and meta["hw_disk_bus"] == "virtio"
    path = disks.volume_path(cloud.data_dir, vol["id"])
    assert await disks.same_data(source, "qcow2", path, cloud.fmt)
    assert await disks.virtual_size(path, cloud.fmt) == 1024**3
    shown = await cloud.ok(
        "POST", f"/v3/volumes/{vol['id']}/action", {"os-show_image_metadata": {}}
    )
    assert shown["metadata"]["image_id"] == image["id"]


async def test_second_volume_of_an_image_comes_from_the_cache(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    source = await _qcow2_image(tmp_path)
    image = cloud.images.add(source, "qcow2")
    first = await cloud.available_volume(size=1, imageRef=image["id"])
    # The image data is gone from the image service: only the cache can serve it now.
    (cloud.images.directory / image["id"]).unlink()
    second = await cloud.available_volume(size=2, imageRef=image["id"])
    second_path = disks.volume_path(cloud.data_dir, second["id"])
    assert await disks.same_data(
        disks.volume_path(cloud.data_dir, first["id"]), cloud.fmt, second_path, cloud.fmt
    )
    assert await disks.virtual_size(second_path, cloud.fmt) == 2 * 1024**3


async def test_a_changed_image_is_not_served_from_the_cache(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    image = cloud.images.add(await _qcow2_image(tmp_path), "qcow2")
    await cloud.available_volume(size=1, imageRef=image["id"])
    image["updated_at"] = "2026-06-01T00:00:00Z"
    (cloud.images.directory / image["id"]).unlink()  # a fresh download must be tried
    failed = await cloud.create_volume(size=1, imageRef=image["id"])
    found = await cloud.wait_volume(failed["id"], "error", "available")
    assert found["status"] == "error"


@pytest.mark.parametrize("case", sorted(BY_NAME))
async def test_dangerous_image_never_becomes_a_volume(
    cloud: VolumeCloud, tmp_path: Path, case: str
) -> None:
    dangerous = BY_NAME[case]
    image = cloud.images.add(dangerous.make(tmp_path, host_secret(tmp_path)), dangerous.disk_format)
    made = await cloud.create_volume(size=1, imageRef=image["id"])
    found = await cloud.wait_volume(made["id"], "error", "available")
    assert found["status"] == "error"
    (message,) = await _messages(cloud, made["id"])
    assert message["user_message"].startswith("copy image to volume:")
    assert dangerous.message() in message["user_message"]
    assert message["event_id"] == "VOLUME_VOLUME_005_029"
    assert not disks.volume_path(cloud.data_dir, made["id"]).exists()


async def test_image_data_that_lies_about_its_format_is_refused(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    image = cloud.images.add(await _qcow2_image(tmp_path), "raw")  # a qcow2 declared raw
    made = await cloud.create_volume(size=1, imageRef=image["id"])
    assert (await cloud.wait_volume(made["id"], "error", "available"))["status"] == "error"
    (message,) = await _messages(cloud, made["id"])
    assert "does not match the declared disk_format raw" in message["user_message"]


async def test_size_below_the_images_min_disk_is_refused(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    image = cloud.images.add(await _qcow2_image(tmp_path), "qcow2", min_disk=3)
    resp = await cloud.call("POST", "/v3/volumes", {"volume": {"size": 2, "imageRef": image["id"]}})
    key, code, message = fault(resp)
    assert (key, code) == ("badRequest", 400) and "minDisk size 3GB" in message
    missing = await cloud.call(
        "POST",
        "/v3/volumes",
        {"volume": {"size": 1, "imageRef": "00000000-0000-0000-0000-000000000000"}},
    )
    assert fault(missing)[1] == 404


async def test_upload_to_image(cloud: VolumeCloud, tmp_path: Path) -> None:
    vol = await cloud.available_volume(size=1)
    path = disks.volume_path(cloud.data_dir, vol["id"])
    await disks.write(path, cloud.fmt, 2 * MiB, MiB, 0x2F)
    body = {"os-volume_upload_image": {"image_name": "from-volume", "disk_format": "qcow2"}}
    resp = await cloud.call("POST", f"/v3/volumes/{vol['id']}/action", body)
    assert resp.status_code == 202, resp.text
    answer = resp.json()["os-volume_upload_image"]
    assert answer["status"] == "uploading" and answer["disk_format"] == "qcow2"
    assert answer["volume_type"]["name"] == "__DEFAULT__"
    await cloud.wait_volume(vol["id"], "available")
    record = cloud.images.records[answer["image_id"]]
    assert record["status"] == "active" and record["name"] == "from-volume"
    uploaded = cloud.images.directory / answer["image_id"]
    assert await disks.same_data(path, cloud.fmt, uploaded, "qcow2")
    bad = {"os-volume_upload_image": {"image_name": "x", "disk_format": "iso"}}
    refused = await cloud.call("POST", f"/v3/volumes/{vol['id']}/action", bad)
    assert fault(refused)[1] == 400


async def test_image_data_not_matching_its_hash_is_refused(
    cloud: VolumeCloud, tmp_path: Path
) -> None:
    image = cloud.images.add(await _qcow2_image(tmp_path), "qcow2")
    stored = cloud.images.directory / image["id"]
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0xFF  # the store returns other bytes than those the record hashes
    stored.write_bytes(bytes(data))
    made = await cloud.create_volume(size=1, imageRef=image["id"])
    assert (await cloud.wait_volume(made["id"], "error", "available"))["status"] == "error"
    (message,) = await _messages(cloud, made["id"])
    assert "does not match its checksum" in message["user_message"]
