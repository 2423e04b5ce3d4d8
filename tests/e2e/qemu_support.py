"""Fixtures and helpers of the QEMU driver's end-to-end tests: specs, drivers, console waits.

Test modules import the fixtures they use from here (guest_image, host_dir,
make_driver, driver).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nimbostack.compute.agent.drivers.base import GuestSpec, ImageFiles
from nimbostack.compute.agent.drivers.qemu import QemuDriver, QemuSettings
from nimbostack.compute.configdrive import openstack_metadata_files
from nimbostack.guest_image.builder import (
    GuestImage,
    build_guest_image,
    default_cache_dir,
    parse_boot_marker,
    parse_tick_marker,
)
from tests.support.requires import require_tools

MARKER_TIMEOUT = 90.0
_TOOLS = ("qemu-system-x86_64", "qemu-img", "genisoimage")


@pytest.fixture(scope="module")
def guest_image() -> GuestImage:
    require_tools(*_TOOLS, why="the QEMU driver runs real guests")
    return build_guest_image(default_cache_dir())


@pytest.fixture
def host_dir() -> Iterator[Path]:
    # Short paths: QMP unix sockets live there.
    path = Path(tempfile.mkdtemp(prefix="nimbo-qemu-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


DriverFactory = Callable[..., QemuDriver]


@pytest.fixture
async def make_driver(host_dir: Path) -> AsyncIterator[DriverFactory]:
    """QemuDrivers on host_dir/<name>; every guest of each is destroyed at teardown."""
    drivers: list[QemuDriver] = []

    def _make(name: str = "host1", **overrides: object) -> QemuDriver:
        driver = QemuDriver(settings(**overrides), host_dir / name)
        drivers.append(driver)
        return driver

    yield _make
    for driver in drivers:
        for guest in await driver.list_guests():
            await driver.destroy(guest)


@pytest.fixture
async def driver(make_driver: DriverFactory) -> QemuDriver:
    created = make_driver()
    await created.init_host("host1")
    return created


def image_files(image: GuestImage, disk: Path | None = None, image_id: str = "guest") -> ImageFiles:
    return ImageFiles(image_id, "qcow2", disk or image.disk, image.kernel, image.ramdisk)


def make_spec(
    image: GuestImage,
    name: str,
    *,
    user_data: str | None = None,
    root_gb: int = 1,
    memory_mb: int = 256,
    disk: Path | None = None,
    **extra: object,
) -> GuestSpec:
    guest_uuid = str(uuid.uuid4())
    files = openstack_metadata_files(
        guest_uuid,
        name,
        name,
        {},
        user_data.encode() if user_data is not None else None,
        None,
    )
    return GuestSpec(
        uuid=guest_uuid,
        name=name,
        hostname=name,
        vcpus=1,
        memory_mb=memory_mb,
        root_gb=root_gb,
        image=image_files(image, disk),
        config_drive=files,
        **extra,  # type: ignore[arg-type]
    )


def settings(**overrides: object) -> QemuSettings:
    values: dict[str, object] = {"virt_type": "qemu", "clean_shutdown_timeout": 20.0}
    values.update(overrides)
    return QemuSettings(**values)  # type: ignore[arg-type]


@dataclass
class Markers:
    """Boot markers and ticks seen in a console log."""

    boots: list[dict[str, str]] = field(default_factory=list)
    ticks: list[dict[str, str]] = field(default_factory=list)


def markers(text: str) -> Markers:
    found = Markers()
    for line in text.splitlines():
        if (boot := parse_boot_marker(line)) is not None:
            found.boots.append(boot)
        elif (tick := parse_tick_marker(line)) is not None:
            found.ticks.append(tick)
    return found


async def wait_console(
    driver: QemuDriver, guest: str, predicate: object, timeout: float = MARKER_TIMEOUT
) -> Markers:
    """Poll the console until predicate(Markers, text) holds; returns the markers."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = await driver.console_output(guest)
        found = markers(text)
        if predicate(found, text):  # type: ignore[operator]
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"console of {guest} never matched; it ends with:\n{text[-2000:]}")


async def booted(driver: QemuDriver, spec: GuestSpec) -> dict[str, str]:
    """Spawn and wait for the boot marker; returns its fields."""
    await driver.spawn(spec)
    return (await wait_boots(driver, spec.uuid)).boots[-1]


async def wait_boots(driver: QemuDriver, guest: str, count: int = 1) -> Markers:
    return await wait_console(driver, guest, lambda m, _t: len(m.boots) >= count)


async def wait_ticks_after(
    driver: QemuDriver, guest: str, seen: int, more: int = 2, timeout: float = MARKER_TIMEOUT
) -> Markers:
    """Wait for ``more`` ticks beyond the ``seen`` ticks counted before."""
    return await wait_console(
        driver, guest, lambda m, _t: len(m.ticks) >= seen + more, timeout=timeout
    )
