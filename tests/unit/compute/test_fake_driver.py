"""The fake hypervisor: power states follow actions; failures can be injected."""

from __future__ import annotations

from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.base import DriverError, GuestNotFound, GuestSpec
from nimbostack.compute.agent.drivers.fake import FakeDriver, make

SPEC = GuestSpec(uuid="g1", name="vm", hostname="vm", vcpus=1, memory_mb=64, root_gb=1)


async def running() -> FakeDriver:
    driver = FakeDriver("h")
    await driver.spawn(SPEC)
    return driver


async def test_resources_report_the_configured_size() -> None:
    res = await FakeDriver("h", vcpus=8, memory_mb=1024, local_gb=50).resources()
    assert (res.vcpus, res.memory_mb, res.local_gb, res.hypervisor_type) == (8, 1024, 50, "fake")


async def test_power_states_follow_actions() -> None:
    driver = await running()
    assert await driver.power_state("g1") == states.RUNNING
    await driver.pause("g1")
    assert await driver.power_state("g1") == states.PAUSED_POWER
    await driver.unpause("g1")
    await driver.suspend("g1")
    assert await driver.power_state("g1") == states.SUSPENDED_POWER
    await driver.resume(SPEC)
    await driver.power_off("g1")
    assert await driver.power_state("g1") == states.SHUTDOWN
    await driver.power_on(SPEC)
    assert await driver.power_state("g1") == states.RUNNING


async def test_reboot_writes_a_new_boot_marker() -> None:
    driver = await running()
    await driver.reboot(SPEC, hard=False)
    log = await driver.console_output("g1")
    assert log.count("NIMBOSTACK-BOOT hostname=vm") == 2
    assert (await driver.console_output("g1", 2)).count("\n") == 1


async def test_console_tail_splits_like_nova() -> None:
    driver = await running()
    tail = await driver.console_output("g1", 3)
    assert len(tail.split("\n")) == 3
    assert tail.startswith("[    0.100000] Run /init")
    assert await driver.console_output("g1", 0) == ""


async def test_injected_failure_hits_the_next_call_only() -> None:
    driver = FakeDriver("h")
    driver.fail_next("spawn", "boom")
    with pytest.raises(DriverError, match="boom"):
        await driver.spawn(SPEC)
    await driver.spawn(SPEC)
    assert await driver.list_guests() == ["g1"]


async def test_unknown_guest_is_guest_not_found() -> None:
    with pytest.raises(GuestNotFound):
        await FakeDriver("h").power_state("nope")
    with pytest.raises(GuestNotFound):
        await FakeDriver("h").destroy("nope")


async def test_snapshot_writes_the_target(tmp_path: Path) -> None:
    driver = await running()
    assert await driver.snapshot("g1", tmp_path / "disk") == "raw"
    assert (tmp_path / "disk").read_bytes().startswith(b"fake disk")


async def test_resize_revert_restores_the_old_guest() -> None:
    driver = await running()
    await driver.migrate_disk_and_power_off(SPEC, "h")
    bigger = GuestSpec(uuid="g1", name="vm", hostname="vm", vcpus=4, memory_mb=64, root_gb=1)
    await driver.finish_migration(bigger, {}, resize=True, power_on=True)
    assert driver.guests["g1"].spec.vcpus == 4
    await driver.finish_revert_migration(SPEC, power_on=True)
    assert driver.guests["g1"].spec.vcpus == 1
    assert await driver.power_state("g1") == states.RUNNING


async def test_live_migration_moves_the_guest_between_fake_hosts() -> None:
    source, dest = make("src-host"), make("dst-host")
    await source.spawn(SPEC)
    from nimbostack.compute.agent.drivers.base import MigrateData

    ready = await dest.pre_live_migration(SPEC, MigrateData(dest_host="dst-host"))
    await source.live_migration("g1", ready)
    await source.post_live_migration("g1")
    assert await dest.list_guests() == ["g1"] and await source.list_guests() == []
