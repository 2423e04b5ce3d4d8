"""Image test fixtures: an image service process wired to the suite's cloud, and clients.

The image service runs as its own process (tests/functional/image/serve.py) against the
cloud's identity, with a small storage quota and a web-download allow-list, so the
quota and import tests do not depend on how `nimbostack up` is configured. Its
endpoint is added to the catalog when the cloud has none, so the CLI finds it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cloud import Account, RunningCloud, free_port

QUOTA = 8 * 1024 * 1024
SERVE = Path(__file__).with_name("serve.py")


@dataclass
class ImageApi:
    """The image service under test, its data dir, and helpers to call it."""

    url: str
    data_dir: Path
    cloud: RunningCloud
    proc: subprocess.Popen[bytes]

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "images"

    def client(self, account: Account | None = None) -> httpx.Client:
        token = (
            self.cloud.admin_token()
            if account is None
            else self.cloud.project_token(account.user, account.password, account.project)
        )
        return httpx.Client(base_url=self.url, headers={"X-Auth-Token": token}, timeout=60)

    def stored_files(self) -> list[str]:
        return sorted(p.name for p in self.store_dir.rglob("*") if p.is_file())


def _start(cloud: RunningCloud, data_dir: Path, port: int, extra: dict[str, str]) -> Any:
    env = dict(cloud.env)
    env.update(
        {
            "NIMBOSTACK_IDENTITY__PORT": str(cloud.ports["identity"]),
            "NIMBOSTACK_IMAGE__PORT": str(port),
            "NIMBOSTACK_DATA_DIR": str(data_dir),
            **extra,
        }
    )
    with (data_dir / "image.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, str(SERVE), str(data_dir)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not (data_dir / "image-ready").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((data_dir / "image.log").read_text())
        time.sleep(0.05)
    return proc


def _ensure_catalog(cloud: RunningCloud, url: str) -> None:
    base = cloud.auth_url
    headers = {"X-Auth-Token": cloud.admin_token()}
    services = httpx.get(f"{base}/services", headers=headers, params={"type": "image"}).json()
    if services["services"]:
        return
    created = httpx.post(
        f"{base}/services",
        headers=headers,
        json={"service": {"type": "image", "name": "glance", "enabled": True}},
    )
    assert created.status_code == 201, created.text
    service_id = created.json()["service"]["id"]
    for interface in ("public", "internal", "admin"):
        endpoint = {
            "service_id": service_id,
            "interface": interface,
            "url": url,
            "region_id": "RegionOne",
        }
        resp = httpx.post(f"{base}/endpoints", headers=headers, json={"endpoint": endpoint})
        assert resp.status_code == 201, resp.text


@contextmanager
def running_image_api(
    cloud: RunningCloud, data_dir: Path, extra: dict[str, str] | None = None
) -> Iterator[ImageApi]:
    """An image service process on a free port until the block ends."""
    port = free_port()
    settings = {
        "NIMBOSTACK_IMAGE__USER_STORAGE_QUOTA": str(QUOTA),
        "NIMBOSTACK_IMAGE__WEB_DOWNLOAD_ALLOWED_HOSTS": "allowed.example,127.0.0.1",
        **(extra or {}),
    }
    proc = _start(cloud, data_dir, port, settings)
    try:
        yield ImageApi(f"http://127.0.0.1:{port}", data_dir, cloud, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def image_api(cloud: RunningCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageApi]:
    with running_image_api(cloud, tmp_path_factory.mktemp("image")) as api:
        _ensure_catalog(cloud, api.url)
        yield api


@pytest.fixture(scope="session")
def project_a(cloud: RunningCloud) -> Account:
    return cloud.make_project_user("img-a")


@pytest.fixture(scope="session")
def project_b(cloud: RunningCloud) -> Account:
    return cloud.make_project_user("img-b")


@pytest.fixture
def qcow2_file(tmp_path: Path) -> Path:
    path = tmp_path / "disk.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-f", "qcow2", str(path), "16M"], check=True, capture_output=True
    )
    return path
