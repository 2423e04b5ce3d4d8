"""Dangerous image data is refused on every way in, whatever the container format.

Each dangerous file (tests/support/dangerous_images.py) is sent as a direct upload
and as a stage for glance-direct, under every container format: the answer is a
400 that says why, the image stays queued, and no byte of it is kept. Data slipped
into staging behind the API's back, and data fetched by web-download, are inspected
again on their way into the store.
"""

from __future__ import annotations

import http.server
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.image.conftest import ImageApi
from tests.support.cloud import Account
from tests.support.dangerous_images import BY_NAME, CASES, RAW_DANGEROUS, Case, host_secret
from tests.support.waiting import wait_until

OCTET = {"Content-Type": "application/octet-stream"}
CONTAINERS = ("bare", "ovf", "ova", "docker", "compressed")
# aki, ari and ami containers hold data of the same (raw) disk format.
KERNEL_CONTAINERS = ("aki", "ari", "ami")
WAYS = ("upload", "stage")


@dataclass(frozen=True)
class Attempt:
    """One dangerous file, declared as disk_format in container, sent one way."""

    case: Case
    disk_format: str
    container: str
    way: str  # "upload" (PUT file) or "stage" (PUT stage, for glance-direct)

    @property
    def id(self) -> str:
        return f"{self.case.name}-{self.container}-{self.way}"


ATTEMPTS = [
    Attempt(case, case.disk_format, container, way)
    for case in CASES
    for container in CONTAINERS
    for way in WAYS
] + [
    Attempt(case, container, container, way)
    for case in RAW_DANGEROUS
    for container in KERNEL_CONTAINERS
    for way in WAYS
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dangerous")


def _path(files: Path, case: Case) -> Path:
    return case.make(files, host_secret(files))


def _new(c: httpx.Client, disk_format: str, container_format: str) -> str:
    body = {"name": f"x-{uuid.uuid4().hex[:6]}", "disk_format": disk_format}
    resp = c.post("/v2/images", json={**body, "container_format": container_format})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def _assert_nothing_kept(image_api: ImageApi, c: httpx.Client, image_id: str) -> None:
    image = c.get(f"/v2/images/{image_id}").json()
    assert image["status"] == "queued"
    assert image["size"] is None and image["checksum"] is None
    assert c.get(f"/v2/images/{image_id}/file").status_code == 204
    assert [name for name in image_api.stored_files() if image_id in name] == []


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[attempt.id for attempt in ATTEMPTS])
def test_dangerous_data_is_refused(
    image_api: ImageApi, project_a: Account, files: Path, attempt: Attempt
) -> None:
    data = _path(files, attempt.case).read_bytes()
    part = "file" if attempt.way == "upload" else "stage"
    with image_api.client(project_a) as c:
        image_id = _new(c, attempt.disk_format, attempt.container)
        resp = c.put(f"/v2/images/{image_id}/{part}", content=data, headers=OCTET)
        assert resp.status_code == 400, resp.text
        assert attempt.case.message(attempt.disk_format) in resp.json()["message"]
        _assert_nothing_kept(image_api, c, image_id)
        if attempt.way == "stage":
            # Nothing was staged: there is nothing to import.
            glance_direct = {"method": {"name": "glance-direct"}}
            resp = c.post(f"/v2/images/{image_id}/import", json=glance_direct)
            assert resp.status_code == 409, resp.text
            _assert_nothing_kept(image_api, c, image_id)


def _harmless(case: Case, files: Path) -> bytes:
    """Data of the declared format that passes inspection."""
    if case.disk_format == "raw":
        return b"\0" * 65536
    return _path(files, BY_NAME["qcow2-as-raw"]).read_bytes()  # a plain qcow2


def _wait_task(c: httpx.Client, image_id: str) -> dict[str, Any]:
    def finished() -> dict[str, Any]:
        tasks = c.get(f"/v2/images/{image_id}/tasks").json()["tasks"]
        return dict(tasks[0]) if tasks and tasks[0]["status"] != "processing" else {}

    return wait_until(finished, 30, f"the import of {image_id} finished")


QCOW2_CASES = [case for case in CASES if case.disk_format in ("qcow2", "raw")]


@pytest.mark.parametrize("container", ["bare", "ovf"])
@pytest.mark.parametrize("case", QCOW2_CASES, ids=[case.name for case in QCOW2_CASES])
def test_import_inspects_staged_data_again(
    image_api: ImageApi, project_a: Account, files: Path, case: Case, container: str
) -> None:
    with image_api.client(project_a) as c:
        image_id = _new(c, case.disk_format, container)
        harmless = _harmless(case, files)
        staged = c.put(f"/v2/images/{image_id}/stage", content=harmless, headers=OCTET)
        assert staged.status_code == 204, staged.text
        # Swapped behind the API's back (or staged before inspection existed).
        (image_api.store_dir / "staging" / image_id).write_bytes(_path(files, case).read_bytes())
        resp = c.post(f"/v2/images/{image_id}/import", json={"method": {"name": "glance-direct"}})
        assert resp.status_code == 202, resp.text
        task = _wait_task(c, image_id)
        assert task["status"] == "failure"
        assert case.message() in task["message"]
        _assert_nothing_kept(image_api, c, image_id)


@pytest.fixture(scope="module")
def web_server(files: Path) -> Iterator[str]:
    """Serves the dangerous files over HTTP on 127.0.0.1 (an allowed web-download host)."""
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *args, directory=str(files)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_web_download_inspects_what_it_fetched(
    image_api: ImageApi, project_a: Account, files: Path, web_server: str, case: Case
) -> None:
    name = _path(files, case).name
    with image_api.client(project_a) as c:
        image_id = _new(c, case.disk_format, "ovf")
        method = {"name": "web-download", "uri": f"{web_server}/{name}"}
        resp = c.post(f"/v2/images/{image_id}/import", json={"method": method})
        assert resp.status_code == 202, resp.text
        task = _wait_task(c, image_id)
        assert task["status"] == "failure"
        assert case.message() in task["message"]
        _assert_nothing_kept(image_api, c, image_id)
