"""Image test fixtures: identity and image in-process, fresh for each module, and clients.

The image service runs with a small storage quota and a web-download allow-list, so
the quota and import tests do not depend on how `nimbostack up` is configured.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.cloud import CLIENT_TLS, Account, CloudAccess
from tests.support.local_cloud import LocalCloud, local_cloud
from tests.support.requires import require_tools

QUOTA = 8 * 1024 * 1024
SETTINGS = {
    "NIMBOSTACK_IMAGE__USER_STORAGE_QUOTA": str(QUOTA),
    "NIMBOSTACK_IMAGE__WEB_DOWNLOAD_ALLOWED_HOSTS": "allowed.example,127.0.0.1",
}


@dataclass
class ImageApi:
    """The image service under test, its data dir, and helpers to call it."""

    url: str
    data_dir: Path
    cloud: CloudAccess

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "images"

    def client(self, account: Account | None = None) -> httpx.Client:
        token = (
            self.cloud.admin_token()
            if account is None
            else self.cloud.project_token(account.user, account.password, account.project)
        )
        headers = {"X-Auth-Token": token}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, verify=CLIENT_TLS)

    def stored_files(self) -> list[str]:
        return sorted(p.name for p in self.store_dir.rglob("*") if p.is_file())


def image_cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    """Identity and image for one module (on PostgreSQL if ``request.param`` says so)."""
    with local_cloud(request, tmp_path_factory, ("identity", "image"), SETTINGS) as running:
        yield running


@pytest.fixture(scope="module")
def cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    yield from image_cloud(request, tmp_path_factory)


@pytest.fixture(scope="module")
def image_api(cloud: LocalCloud) -> ImageApi:
    return ImageApi(cloud.url("image"), cloud.data_dir, cloud)


@pytest.fixture(scope="module")
def project_a(cloud: LocalCloud) -> Account:
    return cloud.make_project_user("img-a")


@pytest.fixture(scope="module")
def project_b(cloud: LocalCloud) -> Account:
    return cloud.make_project_user("img-b")


@pytest.fixture
def qcow2_file(tmp_path: Path) -> Path:
    require_tools("qemu-img", why="a real qcow2 file to upload")
    path = tmp_path / "disk.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-f", "qcow2", str(path), "16M"], check=True, capture_output=True
    )
    return path
