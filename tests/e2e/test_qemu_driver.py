"""End-to-end tests of the QEMU driver's lifecycle on real TCG guests, judged by their console.

The driver is driven directly with GuestSpecs; every guest is destroyed at teardown.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, ImageFiles
from nimbostack.compute.agent.drivers.qemu import QemuDriver, QemuSettings
from nimbostack.guest_image.builder import GuestImage
from tests.e2e import qemu_support as qs
from tests.e2e.qemu_support import (
    DriverFactory,
    booted,
    make_spec,
    markers,
    wait_boots,
    wait_console,
    wait_ticks_after,
)

pytestmark = pytest.mark.e2e
# The shared fixtures (see qemu_support).
guest_image = qs.guest_image
host_dir = qs.host_dir
make_driver = qs.make_driver
driver = qs.driver


async def test_spawn_boots_with_config_drive_hostname_and_user_data(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm1", user_data="#!/bin/sh\necho hello-from-user-data\n")
    await driver.spawn(spec)
    assert await driver.power_state(spec.uuid) == states.RUNNING
    boot = (await wait_boots(driver, spec.uuid)).boots[0]
    assert boot["hostname"] == "vm1"
    text = await driver.console_output(spec.uuid)
    assert "hello-from-user-data" in text
    assert await driver.list_guests() == [spec.uuid]


async def test_console_output_length_returns_last_lines(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm-len")
    await booted(driver, spec)
    last = await driver.console_output(spec.uuid, length=3)
    assert len(last.splitlines()) == 3
    assert (await driver.console_output(spec.uuid)).endswith(last)
    assert await driver.console_output(spec.uuid, length=0) == ""


async def test_console_log_is_capped(make_driver: DriverFactory, guest_image: GuestImage) -> None:
    driver = make_driver(console_log_max_bytes=4096)
    spec = make_spec(guest_image, "vm-cap")
    await booted(driver, spec)
    await wait_console(driver, spec.uuid, lambda m, _t: len(m.ticks) >= 2)
    log = driver.layout.guest(spec.uuid).console_log
    assert log.stat().st_size <= 4096
    assert markers(await driver.console_output(spec.uuid)).ticks  # the newest output stays


async def test_pause_freezes_the_guest_clock(driver: QemuDriver, guest_image: GuestImage) -> None:
    spec = make_spec(guest_image, "vm-pause")
    await booted(driver, spec)
    before = await wait_ticks_after(driver, spec.uuid, 0, 1)
    await driver.pause(spec.uuid)
    assert await driver.power_state(spec.uuid) == states.PAUSED_POWER
    paused_count = len(markers(await driver.console_output(spec.uuid)).ticks)
    await asyncio.sleep(6)
    assert len(markers(await driver.console_output(spec.uuid)).ticks) == paused_count
    await driver.unpause(spec.uuid)
    assert await driver.power_state(spec.uuid) == states.RUNNING
    after = await wait_ticks_after(driver, spec.uuid, paused_count, 2)
    uptimes = [float(t["uptime"]) for t in after.ticks[len(before.ticks) - 1 :]]
    # 6 s of wall time passed while paused; the guest saw at most about one tick of it.
    assert max(b - a for a, b in itertools.pairwise(uptimes)) < 4.5


async def test_suspend_frees_the_process_and_resume_continues(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm-suspend")
    boot = await booted(driver, spec)
    await wait_ticks_after(driver, spec.uuid, 0, 1)
    paths = driver.layout.guest(spec.uuid)
    pid = driver.guests.pid(paths)
    await driver.suspend(spec.uuid)
    assert await driver.power_state(spec.uuid) == states.SUSPENDED_POWER
    assert pid is not None and _gone(pid)
    assert paths.memory_state.stat().st_size > 0
    seen = markers(await driver.console_output(spec.uuid))
    await driver.resume(spec)
    assert await driver.power_state(spec.uuid) == states.RUNNING
    after = await wait_ticks_after(driver, spec.uuid, len(seen.ticks), 2)
    assert len(after.boots) == 1  # no reboot
    assert after.ticks[-1]["boot_id"] == boot["boot_id"]
    assert float(after.ticks[-1]["uptime"]) > float(seen.ticks[-1]["uptime"])
    assert not paths.memory_state.exists()


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return True  # no such process


@pytest.mark.parametrize("hard", [True, False], ids=["hard", "soft"])
async def test_reboot_gives_a_new_boot(
    driver: QemuDriver, guest_image: GuestImage, hard: bool
) -> None:
    spec = make_spec(guest_image, "vm-reboot")
    first = await booted(driver, spec)
    await driver.reboot(spec, hard=hard)
    found = await wait_boots(driver, spec.uuid, 2)
    assert found.boots[-1]["boot_id"] != first["boot_id"]
    assert await driver.power_state(spec.uuid) == states.RUNNING


async def test_power_off_and_on(driver: QemuDriver, guest_image: GuestImage) -> None:
    spec = make_spec(guest_image, "vm-power")
    await booted(driver, spec)
    await driver.power_off(spec.uuid, clean_shutdown_seconds=20)
    assert await driver.power_state(spec.uuid) == states.SHUTDOWN
    text = await driver.console_output(spec.uuid)
    assert "NIMBOSTACK-BOOT" in text  # the log survives a stop
    await driver.power_on(spec)
    assert await driver.power_state(spec.uuid) == states.RUNNING
    await wait_boots(driver, spec.uuid, 2)


async def test_dead_qemu_reports_shutdown(driver: QemuDriver, guest_image: GuestImage) -> None:
    spec = make_spec(guest_image, "vm-dies")
    await driver.spawn(spec)
    pid = driver.guests.pid(driver.layout.guest(spec.uuid))
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    for _ in range(50):
        if await driver.power_state(spec.uuid) != states.RUNNING:
            break
        await asyncio.sleep(0.1)
    assert await driver.power_state(spec.uuid) == states.SHUTDOWN


async def test_resources_report_the_host(driver: QemuDriver) -> None:
    found = await driver.resources()
    assert found.vcpus == os.cpu_count()
    assert found.memory_mb == _mem_total_kib() // 1024
    stat = os.statvfs(driver.layout.instances_path)
    assert found.local_gb == stat.f_blocks * stat.f_frsize // 1024**3
    assert found.hypervisor_type == "QEMU" and found.hypervisor_version > 1_000_000


def _mem_total_kib() -> int:
    return int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])


async def test_garbage_qcow2_image_is_refused(
    driver: QemuDriver, guest_image: GuestImage, host_dir: Path
) -> None:
    bad = host_dir / "bad.qcow2"
    bad.write_bytes(b"this is not a disk image" * 100)
    spec = make_spec(guest_image, "vm-bad", disk=bad)
    with pytest.raises(DriverError, match="does not match the declared disk_format qcow2"):
        await driver.spawn(spec)
    assert await driver.list_guests() == []
    assert not driver.layout.guest(spec.uuid).run_dir.exists()


async def test_missing_kernel_is_refused(driver: QemuDriver, guest_image: GuestImage) -> None:
    spec = make_spec(guest_image, "vm-nokernel")
    assert spec.image is not None
    image = ImageFiles("k", "qcow2", guest_image.disk, Path("/nonexistent/vmlinuz"), None)
    with pytest.raises(DriverError, match="kernel file /nonexistent/vmlinuz is missing"):
        await driver.spawn(GuestSpec(**{**spec.__dict__, "image": image}))
    assert await driver.list_guests() == []


async def test_unsupported_disk_format_is_refused(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm-vmdk")
    image = ImageFiles("v", "vmdk", guest_image.disk, guest_image.kernel, guest_image.ramdisk)
    with pytest.raises(DriverError, match="disk_format 'vmdk'"):
        await driver.spawn(GuestSpec(**{**spec.__dict__, "image": image}))
    assert await driver.list_guests() == []


async def test_qemu_failure_leaves_nothing_running(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm-huge", memory_mb=64 * 1024 * 1024)
    with pytest.raises(DriverError, match="QEMU failed to start"):
        await driver.spawn(spec)
    assert await driver.list_guests() == []


def test_settings_from_config() -> None:
    from nimbostack.core.config import load

    conf = load(environ={"NIMBOSTACK_QEMU__VIRT_TYPE": "kvm"})
    assert QemuSettings.from_conf(conf).virt_type == "kvm"
