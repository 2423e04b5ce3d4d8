"""Image data over REST: upload, download, integrity, format safety, quota, import."""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.functional.image.conftest import QUOTA, ImageApi
from tests.support.cloud import Account
from tests.support.dangerous_images import qemu_img
from tests.support.waiting import wait_until

OCTET = {"Content-Type": "application/octet-stream"}


def _new(c: httpx.Client, disk_format: str = "raw") -> str:
    resp = c.post(
        "/v2/images",
        json={
            "name": f"d-{uuid.uuid4().hex[:6]}",
            "disk_format": disk_format,
            "container_format": "bare",
        },
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _wait_status(c: httpx.Client, image_id: str, wanted: str) -> dict[str, Any]:
    def shown() -> dict[str, Any]:
        body: dict[str, Any] = c.get(f"/v2/images/{image_id}").json()
        return body if body["status"] == wanted else {}

    return wait_until(shown, 20, f"image {image_id} {wanted}")


def test_upload_download_roundtrip(image_api: ImageApi, project_a: Account) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    with image_api.client(project_a) as c:
        image_id = _new(c)
        resp = c.put(f"/v2/images/{image_id}/file", content=data, headers=OCTET)
        assert resp.status_code == 204, resp.text
        image = c.get(f"/v2/images/{image_id}").json()
        assert image["status"] == "active"
        assert image["size"] == image["virtual_size"] == len(data)
        assert image["checksum"] == hashlib.md5(data).hexdigest()
        assert image["os_hash_algo"] == "sha512"
        assert image["os_hash_value"] == hashlib.sha512(data).hexdigest()
        got = c.get(f"/v2/images/{image_id}/file")
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["Content-MD5"] == image["checksum"]
        again = c.put(f"/v2/images/{image_id}/file", content=b"x", headers=OCTET)
        assert again.status_code == 409
        assert "queued" in again.json()["message"]
        assert c.delete(f"/v2/images/{image_id}").status_code == 204
    assert image_id not in image_api.stored_files()


def test_chunked_upload_of_qcow2(image_api: ImageApi, project_a: Account, qcow2_file: Path) -> None:
    def chunks() -> Iterator[bytes]:
        with qcow2_file.open("rb") as handle:
            while block := handle.read(7000):
                yield block

    with image_api.client(project_a) as c:
        image_id = _new(c, "qcow2")
        resp = c.put(f"/v2/images/{image_id}/file", content=chunks(), headers=OCTET)
        assert resp.status_code == 204, resp.text
        image = c.get(f"/v2/images/{image_id}").json()
        assert image["virtual_size"] == 16 * 1024 * 1024
        assert image["size"] == qcow2_file.stat().st_size


def test_download_without_data_is_204(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        resp = c.get(f"/v2/images/{_new(c)}/file")
        assert resp.status_code == 204


def test_qcow2_with_backing_file_is_refused(
    image_api: ImageApi, project_a: Account, tmp_path: Path
) -> None:
    base = tmp_path / "base.raw"
    base.write_bytes(b"\0" * 65536)
    overlay = tmp_path / "x.qcow2"
    qemu_img("create", "-f", "qcow2", "-b", str(base), "-F", "raw", str(overlay))
    with image_api.client(project_a) as c:
        image_id = _new(c, "qcow2")
        resp = c.put(f"/v2/images/{image_id}/file", content=overlay.read_bytes(), headers=OCTET)
        assert resp.status_code == 400
        assert "backing file" in resp.json()["message"]
        assert c.get(f"/v2/images/{image_id}").json()["status"] == "queued"
    assert not [f for f in image_api.stored_files() if image_id in f]


def test_qcow2_with_external_data_file_is_refused(
    image_api: ImageApi, project_a: Account, tmp_path: Path
) -> None:
    disk = tmp_path / "d.qcow2"
    qemu_img("create", "-f", "qcow2", "-o", f"data_file={tmp_path}/ext.raw", str(disk), "1M")
    with image_api.client(project_a) as c:
        image_id = _new(c, "qcow2")
        resp = c.put(f"/v2/images/{image_id}/file", content=disk.read_bytes(), headers=OCTET)
        assert resp.status_code == 400
        assert "external data file" in resp.json()["message"]


def test_format_mismatch_is_refused(
    image_api: ImageApi, project_a: Account, qcow2_file: Path
) -> None:
    with image_api.client(project_a) as c:
        raw_claim = _new(c, "raw")
        resp = c.put(f"/v2/images/{raw_claim}/file", content=qcow2_file.read_bytes(), headers=OCTET)
        assert resp.status_code == 400
        assert "does not match the declared disk_format raw" in resp.json()["message"]
        qcow_claim = _new(c, "qcow2")
        resp = c.put(f"/v2/images/{qcow_claim}/file", content=b"\0" * 4096, headers=OCTET)
        assert resp.status_code == 400
        assert "looks like raw" in resp.json()["message"]


def test_over_quota_is_413_and_nothing_stored(image_api: ImageApi, cloud: object) -> None:
    account = image_api.cloud.make_project_user("img-quota")
    with image_api.client(account) as c:
        image_id = _new(c)
        before = image_api.stored_files()
        resp = c.put(f"/v2/images/{image_id}/file", content=b"\1" * (QUOTA + 1), headers=OCTET)
        assert resp.status_code == 413
        assert "quota" in resp.json()["message"]
        assert c.get(f"/v2/images/{image_id}").json()["status"] == "queued"

        def stream() -> Iterator[bytes]:  # no Content-Length: caught while streaming
            for _ in range(QUOTA // 65536 + 2):
                yield b"\2" * 65536

        resp = c.put(f"/v2/images/{image_id}/file", content=stream(), headers=OCTET)
        assert resp.status_code == 413
        assert image_api.stored_files() == before
        fits = c.put(f"/v2/images/{image_id}/file", content=b"\3" * 1024, headers=OCTET)
        assert fits.status_code == 204


def test_client_disconnect_mid_upload_kills_image(image_api: ImageApi) -> None:
    account = image_api.cloud.make_project_user("img-cut")
    with image_api.client(account) as c:
        image_id = _new(c)
        token = c.headers["X-Auth-Token"]
    url = urlsplit(image_api.url)
    sock = socket.create_connection((url.hostname, url.port))
    head = (
        f"PUT /v2/images/{image_id}/file HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {token}\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 6000000\r\n\r\n"
    )
    sock.sendall(head.encode() + b"\0" * 3_000_000)
    with image_api.client(account) as c:
        _wait_status(c, image_id, "saving")  # the upload is under way: now cut it
        sock.close()
        image = _wait_status(c, image_id, "killed")
        assert image["size"] is None
        assert c.get(f"/v2/images/{image_id}/file").status_code == 204
    assert not [f for f in image_api.stored_files() if image_id in f]


def test_stage_and_glance_direct_import(image_api: ImageApi, project_a: Account) -> None:
    data = os.urandom(200_000)
    with image_api.client(project_a) as c:
        image_id = _new(c)
        resp = c.put(f"/v2/images/{image_id}/stage", content=data, headers=OCTET)
        assert resp.status_code == 204
        assert c.get(f"/v2/images/{image_id}").json()["status"] == "uploading"
        resp = c.post(f"/v2/images/{image_id}/import", json={"method": {"name": "glance-direct"}})
        assert resp.status_code == 202
        image = _wait_status(c, image_id, "active")
        assert image["os_hash_value"] == hashlib.sha512(data).hexdigest()
        assert c.get(f"/v2/images/{image_id}/file").content == data
        [task] = _wait_tasks(c, image_id)
        assert task["status"] == "success"
        assert task["request_id"] == resp.headers["x-openstack-request-id"]
        assert task["input"]["import_req"]["method"]["name"] == "glance-direct"
        assert task["image_id"] == image_id and task["type"] == "api_image_import"
    assert not (image_api.store_dir / "staging" / image_id).exists()


def _wait_tasks(c: httpx.Client, image_id: str) -> list[dict[str, Any]]:
    def finished() -> list[dict[str, Any]]:
        resp = c.get(f"/v2/images/{image_id}/tasks")
        assert resp.status_code == 200, resp.text
        tasks: list[dict[str, Any]] = resp.json()["tasks"]
        return tasks if tasks and all(t["status"] != "processing" for t in tasks) else []

    return wait_until(finished, 20, f"the tasks of image {image_id} finished")


def test_failed_import_task_says_why(
    image_api: ImageApi, project_a: Account, qcow2_file: Path
) -> None:
    with image_api.client(project_a) as c:
        image_id = _new(c, disk_format="qcow2")
        assert c.get(f"/v2/images/{image_id}/tasks").json() == {"tasks": []}
        resp = c.put(f"/v2/images/{image_id}/stage", content=b"not a qcow2" * 100, headers=OCTET)
        assert resp.status_code == 400  # staged data is inspected at once
        assert "looks like raw" in resp.json()["message"]
        resp = c.put(f"/v2/images/{image_id}/stage", content=qcow2_file.read_bytes(), headers=OCTET)
        assert resp.status_code == 204
        # Changed in staging behind the API's back: the import inspects it again.
        (image_api.store_dir / "staging" / image_id).write_bytes(b"not a qcow2" * 100)
        resp = c.post(f"/v2/images/{image_id}/import", json={"method": {"name": "glance-direct"}})
        assert resp.status_code == 202
        [task] = _wait_tasks(c, image_id)
        assert task["status"] == "failure"
        assert "qcow2" in str(task["message"])
        assert c.get(f"/v2/images/{image_id}").json()["status"] == "queued"


def test_tasks_of_another_projects_image_are_404(
    image_api: ImageApi, project_a: Account, project_b: Account
) -> None:
    with image_api.client(project_a) as a:
        image_id = _new(a)
    with image_api.client(project_b) as b:
        resp = b.get(f"/v2/images/{image_id}/tasks")
        assert resp.status_code == 404
        assert resp.json()["message"] == f"No image found with ID {image_id}"


def test_web_download_host_not_allowed(image_api: ImageApi, project_a: Account) -> None:
    with image_api.client(project_a) as c:
        image_id = _new(c)
        method = {"name": "web-download", "uri": "http://169.254.169.254/latest"}
        resp = c.post(f"/v2/images/{image_id}/import", json={"method": method})
        assert resp.status_code == 400
        assert "not allowed" in resp.json()["message"]
        resp = c.post(f"/v2/images/{image_id}/import", json={"method": {"name": "copy"}})
        assert resp.status_code == 400
        assert c.get(f"/v2/images/{image_id}").json()["status"] == "queued"
