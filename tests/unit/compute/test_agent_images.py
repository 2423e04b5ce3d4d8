"""The per-host base-image cache: one download per image, verified, inspected, pruned."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from nimbostack.compute.agent.drivers.base import DriverError
from nimbostack.compute.agent.images import ImageCache
from tests.support.dangerous_images import CASES, Case, host_secret


def _plain_qcow2() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "disk.qcow2"
        subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "1M"], check=True)
        return path.read_bytes()


DISK, KERNEL = _plain_qcow2(), b"kernel-bytes"


def _record(image_id: str, data: bytes, disk_format: str, **extra: object) -> dict[str, object]:
    return {
        "id": image_id,
        "status": "active",
        "disk_format": disk_format,
        "os_hash_algo": "sha512",
        "os_hash_value": hashlib.sha512(data).hexdigest(),
        **extra,
    }


class FakeImages:
    """A stand-in image service that counts downloads."""

    def __init__(self, corrupt: bool = False) -> None:
        self.records = {
            "img": _record("img", DISK, "qcow2", kernel_id="kern"),
            "kern": _record("kern", KERNEL, "aki"),
        }
        self.data = {"img": DISK + (b"!" if corrupt else b""), "kern": KERNEL}
        self.downloads: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        image_id = parts[2]
        if image_id not in self.records:
            return httpx.Response(404)
        if parts[-1] == "file":
            self.downloads.append(image_id)
            return httpx.Response(200, content=self.data[image_id])
        return httpx.Response(200, json=self.records[image_id])


def cache(tmp_path: Path, images: FakeImages) -> ImageCache:
    client = httpx.AsyncClient(transport=httpx.MockTransport(images))
    return ImageCache(tmp_path / "_base", max_idle=60, client=client)


async def access() -> tuple[str, dict[str, str]]:
    return "http://image", {"X-Auth-Token": "t"}


async def test_image_and_kernel_are_fetched_once_and_verified(tmp_path: Path) -> None:
    images = FakeImages()
    store = cache(tmp_path, images)
    first = await store.fetch("img", access)
    second = await store.fetch("img", access)
    assert first == second
    assert first.path is not None and first.path.read_bytes() == DISK
    assert first.kernel is not None and first.kernel.read_bytes() == KERNEL
    assert first.properties["kernel_id"] == "kern"
    assert images.downloads == ["img", "kern"]
    assert not os.access(first.path, os.W_OK) or os.geteuid() == 0
    assert first.path.stat().st_mode & 0o222 == 0


async def test_a_corrupt_download_is_refused_and_not_kept(tmp_path: Path) -> None:
    store = cache(tmp_path, FakeImages(corrupt=True))
    with pytest.raises(DriverError, match="failed verification"):
        await store.fetch("img", access)
    assert not list((tmp_path / "_base").iterdir())


async def test_missing_image_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match="could not be found"):
        await cache(tmp_path, FakeImages()).fetch("nope", access)


async def test_prune_drops_only_idle_unused_images(tmp_path: Path) -> None:
    store = cache(tmp_path, FakeImages())
    await store.fetch("img", access)
    assert store.prune(in_use=set()) == []  # fresh: not idle yet
    later = time.time() + 120
    assert sorted(store.prune(in_use={"img"}, now=later)) == ["kern"]
    assert store.prune(in_use=set(), now=later) == ["img"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dangerous")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_dangerous_image_from_the_store_is_refused_and_not_kept(
    tmp_path: Path, files: Path, case: Case
) -> None:
    # As if written straight into the image store: its record's hashes match its bytes.
    data = case.make(files, host_secret(files)).read_bytes()
    images = FakeImages()
    images.records["img"] = _record("img", data, case.disk_format)
    images.data["img"] = data
    store = cache(tmp_path, images)
    with pytest.raises(DriverError) as refused:
        await store.fetch("img", access)
    assert str(refused.value).startswith("Image img is refused by this host: ")
    assert case.message() in str(refused.value)
    assert list((tmp_path / "_base").iterdir()) == []
