"""A member's image cannot make a real compute host read the host's own files.

The attack: a qcow2 whose backing file is a host file, declared qcow2 in an ``ovf``
container. The image service refuses its upload; and when such an image is in the
store anyway (uploaded before inspection existed, or written behind the API's
back), a boot on the qemu driver ends in ERROR with a fault that says why, with no
QEMU started and the host file never read (its access time stays put).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e import guest_support as gs
from tests.support.cloud import RunningCloud
from tests.support.dangerous_images import BY_NAME, host_secret

pytestmark = [pytest.mark.e2e, pytest.mark.cli]
OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture(scope="module")
def qcloud() -> Iterator[RunningCloud]:
    with gs.qemu_cloud() as cloud:
        yield cloud


def _image_client(cloud: RunningCloud) -> httpx.Client:
    demo = cloud.demo
    token = cloud.project_token(demo.user, demo.password, demo.project)
    return httpx.Client(base_url=cloud.url("image"), headers={"X-Auth-Token": token}, timeout=60)


def _plant(cloud: RunningCloud, image_id: str, data: bytes) -> None:
    """Put ``data`` in the store as the image's data, with a record that matches it."""
    (cloud.data_dir / "images" / image_id).write_bytes(data)
    with sqlite3.connect(cloud.data_dir / "image.sqlite") as db:
        db.execute(
            "UPDATE images SET size = ?, checksum = ?, os_hash_value = ? WHERE id = ?",
            (
                len(data),
                hashlib.md5(data, usedforsecurity=False).hexdigest(),
                hashlib.sha512(data).hexdigest(),
                image_id,
            ),
        )


def _wait_error(cloud: RunningCloud, server_id: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll the server (as its owner sees it) until it is ERROR."""
    demo = cloud.demo
    deadline = time.monotonic() + timeout
    server = cloud.cli("server", "show", server_id, account=demo)
    while server["status"] != "ERROR" and time.monotonic() < deadline:
        assert server["status"] == "BUILD", server
        time.sleep(0.5)
        server = cloud.cli("server", "show", server_id, account=demo)
    assert server["status"] == "ERROR", server
    return dict(server)


def test_backing_file_image_never_reaches_qemu(qcloud: RunningCloud, tmp_path: Path) -> None:
    secret = host_secret(tmp_path)
    dangerous = BY_NAME["qcow2-backing"].make(tmp_path, secret).read_bytes()
    plain = tmp_path / "plain.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(plain), "1M"], check=True)
    # Read access from now on shows in the access time (relatime: atime < mtime).
    now = time.time()
    os.utime(secret, (now - 3600, now))
    before = secret.stat().st_atime_ns

    with _image_client(qcloud) as c:
        body = {"name": "trojan", "disk_format": "qcow2", "container_format": "ovf"}
        created = c.post("/v2/images", json=body)
        assert created.status_code == 201, created.text
        image_id = created.json()["id"]
        refused = c.put(f"/v2/images/{image_id}/file", content=dangerous, headers=OCTET)
        assert refused.status_code == 400, refused.text
        assert "backing file" in refused.json()["message"]
        accepted = c.put(f"/v2/images/{image_id}/file", content=plain.read_bytes(), headers=OCTET)
        assert accepted.status_code == 204, accepted.text
    _plant(qcloud, image_id, dangerous)

    created = qcloud.cli(
        "server", "create", "--image", image_id, "--flavor", "m1.nano", "--nic", "none", "trojan",
        account=qcloud.demo,
    )  # fmt: skip
    server = _wait_error(qcloud, created["id"])
    assert server["fault"]["message"] == (
        f"Build of instance {server['id']} aborted: Image {image_id} is refused by this host: "
        "Image data is a qcow2 file with a backing file, which is refused."
    )
    assert gs.qemu_pids(server["id"]) == []
    instances = qcloud.data_dir / "instances"
    assert not (instances / server["id"]).exists()
    assert not (instances / "_base" / image_id).exists()
    assert secret.stat().st_atime_ns == before
