"""End-to-end tests of moving real guests between two QEMU driver "hosts" on this machine.

Each host is a QemuDriver with its own instances path. Live migration runs over
TCP on localhost, with shared disks (both hosts use one disks_path) or block
migration (each host has its own disks). Cold migration / resize copies disks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import GuestNotFound, GuestSpec, MigrateData
from nimbostack.compute.agent.drivers.qemu import QemuDriver
from nimbostack.guest_image.builder import GuestImage
from tests.e2e import qemu_support as qs
from tests.e2e.qemu_support import DriverFactory, booted, make_spec, markers, wait_ticks_after

pytestmark = pytest.mark.e2e
guest_image = qs.guest_image
host_dir = qs.host_dir
make_driver = qs.make_driver

SIZE_USER_DATA = "#!/bin/sh\necho root-sectors=$(cat /sys/class/block/vda/size)\n"


async def _two_hosts(
    make_driver: DriverFactory, shared_disks: Path | None
) -> tuple[QemuDriver, QemuDriver]:
    extra = {"disks_path": str(shared_disks)} if shared_disks else {}
    source, dest = make_driver("src", **extra), make_driver("dst", **extra)
    await source.init_host("src")
    await dest.init_host("dst")
    return source, dest


@pytest.mark.parametrize("block", [False, True], ids=["shared-storage", "block-migration"])
async def test_live_migration_keeps_the_guest_running(
    make_driver: DriverFactory, guest_image: GuestImage, host_dir: Path, block: bool
) -> None:
    source, dest = await _two_hosts(make_driver, None if block else host_dir / "shared")
    spec = make_spec(guest_image, "vm-live", user_data="#!/bin/sh\necho kept > /data/kept\n")
    boot = await booted(source, spec)
    before = await wait_ticks_after(source, spec.uuid, 0, 1)
    migrate = await dest.pre_live_migration(
        spec, MigrateData(dest_host="dst", block_migration=block, shared_storage=not block)
    )
    assert migrate.dest_port > 0
    await source.live_migration(spec.uuid, migrate)
    await source.post_live_migration(spec.uuid)

    assert await dest.power_state(spec.uuid) == states.RUNNING
    with pytest.raises(GuestNotFound):
        await source.power_state(spec.uuid)
    after = await wait_ticks_after(dest, spec.uuid, 0, 2)
    assert not after.boots  # no reboot on the destination
    assert after.ticks[-1]["boot_id"] == boot["boot_id"]
    assert float(after.ticks[-1]["uptime"]) > float(before.ticks[-1]["uptime"])
    stats = migrate.details["stats"]
    assert stats["block_migration"] is block
    assert 0 <= stats["downtime_ms"] < 5000
    # The guest's disk moved with it: a hard reboot on dest still finds the file.
    assert dest.layout.guest(spec.uuid).root_disk.exists()


async def _resized(
    make_driver: DriverFactory, guest_image: GuestImage
) -> tuple[QemuDriver, QemuDriver, GuestSpec, GuestSpec]:
    source, dest = await _two_hosts(make_driver, None)
    spec = make_spec(guest_image, "vm-resize", user_data=SIZE_USER_DATA)
    await booted(source, spec)
    first = await source.console_output(spec.uuid)
    assert "root-sectors=2097152" in first  # 1 GiB
    disk_info = await source.migrate_disk_and_power_off(spec, "dst")
    assert await source.power_state(spec.uuid) == states.SHUTDOWN
    bigger = GuestSpec(**{**spec.__dict__, "root_gb": 2, "memory_mb": 320})
    await dest.finish_migration(bigger, disk_info, resize=True, power_on=True)
    assert await dest.power_state(spec.uuid) == states.RUNNING
    found = await qs.wait_console(dest, spec.uuid, lambda m, t: "root-sectors=" in t and m.boots)
    assert found.boots[0]["hostname"] == "vm-resize"
    assert "root-sectors=4194304" in await dest.console_output(spec.uuid)  # 2 GiB
    return source, dest, spec, bigger


async def test_resize_confirm_keeps_the_new_guest(
    make_driver: DriverFactory, guest_image: GuestImage
) -> None:
    source, dest, spec, _ = await _resized(make_driver, guest_image)
    await source.confirm_migration(spec.uuid)
    assert await source.list_guests() == []
    assert not source.layout.resize_dir(spec.uuid).exists()
    assert await dest.power_state(spec.uuid) == states.RUNNING


async def test_resize_revert_restores_the_old_guest(
    make_driver: DriverFactory, guest_image: GuestImage
) -> None:
    source, dest, spec, _ = await _resized(make_driver, guest_image)
    await dest.destroy(spec.uuid)
    await source.finish_revert_migration(spec, power_on=True)
    assert await source.power_state(spec.uuid) == states.RUNNING
    found = await qs.wait_boots(source, spec.uuid, 2)
    assert markers(await source.console_output(spec.uuid)).boots == found.boots
    assert (await source.console_output(spec.uuid)).count("root-sectors=2097152") == 2
