"""The QEMU driver's own image checks: a dangerous base never gets a guest started on it.

The files stand in for images that reached the host's cache without the image
service's inspection (an older cloud, a store written behind the API's back).
Nothing here starts QEMU: each check must refuse before that.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, ImageFiles
from nimbostack.compute.agent.drivers.qemu import QemuDriver, QemuSettings, chain, disks
from tests.support.dangerous_images import CASES, Case, host_secret

QEMU_IMG = "qemu-img"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dangerous")


def _claim(case: Case) -> str:
    """The bootable format the file claims (a VMDK is passed off as qcow2)."""
    return case.disk_format if case.disk_format in ("qcow2", "raw") else "qcow2"


def _plain_qcow2(path: Path) -> Path:
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "1M"], check=True)
    return path


def _guest(image: ImageFiles) -> GuestSpec:
    return GuestSpec("u-1", "vm", "vm", 1, 128, 1, image=image)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_spawn_refuses_a_dangerous_cached_image(
    tmp_path: Path, files: Path, case: Case
) -> None:
    image = ImageFiles("img", _claim(case), case.make(files, host_secret(files)))
    driver = QemuDriver(QemuSettings(virt_type="qemu"), tmp_path / "host")
    with pytest.raises(DriverError) as refused:
        await driver.spawn(_guest(image))
    assert str(refused.value).startswith("image img is refused: ")
    assert case.message() in str(refused.value)
    assert await driver.list_guests() == []
    assert not (tmp_path / "host" / "u-1").exists()  # no disk, no QEMU


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_no_overlay_is_made_on_a_dangerous_image(
    tmp_path: Path, files: Path, case: Case
) -> None:
    image = ImageFiles("img", _claim(case), case.make(files, host_secret(files)))
    with pytest.raises(DriverError) as refused:
        await disks.create_root(QEMU_IMG, image, tmp_path / "disk", 1)
    assert str(refused.value).startswith("image img is refused: ")
    assert case.message() in str(refused.value)
    assert not (tmp_path / "disk").exists()


async def test_overlay_names_its_base_with_its_format(tmp_path: Path) -> None:
    base = _plain_qcow2(tmp_path / "base")
    overlay = tmp_path / "disk"
    await disks.create_root(QEMU_IMG, ImageFiles("img", "qcow2", base), overlay, 0)
    info = await disks.image_info(QEMU_IMG, overlay, "qcow2")
    assert info["backing-filename-format"] == "qcow2"
    assert info["virtual-size"] == 1024 * 1024
    assert await chain.base_of(QEMU_IMG, overlay) == chain.Base(base.resolve(), "qcow2")


async def test_a_base_changed_under_its_overlay_stops_the_next_start(
    tmp_path: Path, files: Path
) -> None:
    base = _plain_qcow2(tmp_path / "base")
    overlay = tmp_path / "disk"
    await disks.create_root(QEMU_IMG, ImageFiles("img", "qcow2", base), overlay, 1)
    dangerous = CASES[0].make(files, host_secret(files))  # a qcow2 with a backing file
    # Swapped in place of the base the overlay names.
    os.replace(_copy(dangerous, tmp_path / "new"), base)
    with pytest.raises(DriverError, match=r"its base image .* is refused: .*backing file"):
        await chain.base_of(QEMU_IMG, overlay)
    with pytest.raises(DriverError, match="backing file"):
        await chain.flatten(QEMU_IMG, overlay, tmp_path / "snapshot")
    assert not (tmp_path / "snapshot").exists()


def _copy(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes())
    return target


async def test_flatten_copies_overlay_and_base(tmp_path: Path) -> None:
    base = tmp_path / "base.raw"
    base.write_bytes(b"B" * 1024 * 1024)
    overlay = tmp_path / "disk"
    await disks.create_root(QEMU_IMG, ImageFiles("img", "raw", base), overlay, 0)
    await chain.flatten(QEMU_IMG, overlay, tmp_path / "snapshot")
    info = await disks.image_info(QEMU_IMG, tmp_path / "snapshot", "qcow2")
    assert "backing-filename" not in info
    raw = tmp_path / "snapshot.raw"
    await disks.run_tool(QEMU_IMG, "convert", "-O", "raw", str(tmp_path / "snapshot"), str(raw))
    assert raw.read_bytes() == base.read_bytes()
