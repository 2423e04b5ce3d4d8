"""End-to-end tests of the QEMU driver's disk actions and of guests outliving the agent.

Snapshot, rebuild, rescue on real TCG guests; adoption of guests by a new driver
after the process that started them was killed with SIGKILL; KVM auto-detection.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from nimbostack.compute import states
from nimbostack.compute.agent.drivers.qemu import QemuDriver, accel
from nimbostack.guest_image.builder import GuestImage
from tests.e2e import qemu_support as qs
from tests.e2e.qemu_support import DriverFactory, booted, image_files, make_spec, wait_boots

pytestmark = pytest.mark.e2e
guest_image = qs.guest_image
host_dir = qs.host_dir
make_driver = qs.make_driver
driver = qs.driver

WRITE_FILE = "#!/bin/sh\n[ -f /data/proof ] || echo written-by-first > /data/proof\n"
READ_FILE = "#!/bin/sh\necho proof=$(cat /data/proof 2>/dev/null || echo none)\n"
LIST_DISKS = "#!/bin/sh\necho disks=$(ls /sys/class/block | grep vd | tr '\\n' ,)\n"


def _image_info(path: Path) -> dict[str, object]:
    done = subprocess.run(
        ["qemu-img", "info", "--output=json", str(path)], capture_output=True, check=True
    )
    info: dict[str, object] = json.loads(done.stdout)
    return info


async def test_snapshot_boots_a_second_guest_with_the_first_guests_file(
    driver: QemuDriver, guest_image: GuestImage, host_dir: Path
) -> None:
    first = make_spec(guest_image, "vm-origin", user_data=WRITE_FILE)
    await booted(driver, first)
    target = host_dir / "snapshots" / "snap.qcow2"
    assert await driver.snapshot(first.uuid, target) == "qcow2"
    assert await driver.power_state(first.uuid) == states.RUNNING  # paused only meanwhile
    assert "backing-filename" not in _image_info(target)  # standalone
    second = make_spec(guest_image, "vm-copy", user_data=READ_FILE, disk=target)
    await booted(driver, second)
    assert "proof=written-by-first" in await driver.console_output(second.uuid)


async def test_rebuild_gives_a_fresh_disk_and_a_new_boot(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm-rebuild", user_data=READ_FILE)
    await booted(driver, spec)
    assert "proof=none" in await driver.console_output(spec.uuid)
    await driver.rebuild(replace(spec, image=image_files(guest_image, image_id="other")))
    found = await wait_boots(driver, spec.uuid, 2)
    assert found.boots[0]["boot_id"] != found.boots[1]["boot_id"]
    assert await driver.power_state(spec.uuid) == states.RUNNING


async def test_rescue_attaches_the_original_disk_second(
    driver: QemuDriver, guest_image: GuestImage
) -> None:
    spec = make_spec(guest_image, "vm-rescue", user_data=LIST_DISKS)
    await booted(driver, spec)
    assert "disks=vda," in await driver.console_output(spec.uuid)
    rescue = replace(spec, rescue_image=image_files(guest_image, image_id="rescue"))
    await driver.rescue(rescue)
    await wait_boots(driver, spec.uuid, 2)
    assert "disks=vda,vdb," in await driver.console_output(spec.uuid)
    await driver.unrescue(spec)
    await wait_boots(driver, spec.uuid, 3)
    assert (await driver.console_output(spec.uuid)).rstrip().count("disks=vda,\n") >= 1
    assert not list(driver.layout.guest(spec.uuid).disk_dir.glob("rescue.*"))


_SPAWNER = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from nimbostack.compute.agent.drivers.base import GuestSpec, ImageFiles
    from nimbostack.compute.agent.drivers.qemu import QemuDriver, QemuSettings

    async def main() -> None:
        raw = json.loads(sys.argv[2])
        image = ImageFiles(**{k: Path(v) if k in ("path", "kernel", "ramdisk") else v
                              for k, v in raw.pop("image").items()})
        driver = QemuDriver(QemuSettings(virt_type="qemu"), Path(sys.argv[1]))
        await driver.spawn(GuestSpec(image=image, **raw))
        print("spawned", flush=True)
        await asyncio.sleep(3600)

    asyncio.run(main())
    """
)


async def test_guests_outlive_a_killed_agent_and_are_adopted(
    make_driver: DriverFactory, guest_image: GuestImage, host_dir: Path
) -> None:
    spec = make_spec(guest_image, "vm-adopt")
    raw = {k: v for k, v in spec.__dict__.items() if k not in ("config_drive", "image")}
    assert spec.image is not None
    raw["image"] = {
        "image_id": "guest",
        "disk_format": "qcow2",
        "path": str(guest_image.disk),
        "kernel": str(guest_image.kernel),
        "ramdisk": str(guest_image.ramdisk),
    }
    agent = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _SPAWNER,
        str(host_dir / "host1"),
        json.dumps(raw),
        stdout=asyncio.subprocess.PIPE,
    )
    assert agent.stdout is not None
    line = await asyncio.wait_for(agent.stdout.readline(), 60)
    assert line.strip() == b"spawned"
    os.kill(agent.pid, signal.SIGKILL)
    await agent.wait()

    adopter = make_driver("host1")
    await adopter.init_host("host1")
    assert await adopter.list_guests() == [spec.uuid]
    assert await adopter.power_state(spec.uuid) == states.RUNNING
    await wait_boots(adopter, spec.uuid)
    await adopter.pause(spec.uuid)  # managed again, over QMP
    assert await adopter.power_state(spec.uuid) == states.PAUSED_POWER


async def test_auto_accel_is_kvm_only_when_a_probe_guest_boots(
    make_driver: DriverFactory, guest_image: GuestImage
) -> None:
    driver = make_driver(virt_type="auto", accel_probe_timeout=15.0)
    spec = make_spec(guest_image, "vm-auto")
    verdict = await driver.guests.choose_accel(spec)
    if not accel.kvm_usable():
        # No usable /dev/kvm on this host: TCG at once, without probing or caching.
        assert verdict == "tcg"
        assert not (driver.layout.instances_path / accel.CACHE_FILE).exists()
        return
    cached = json.loads((driver.layout.instances_path / accel.CACHE_FILE).read_text())
    assert cached["accel"] == verdict
    # The probe's outcome is what decides: KVM only if a guest really booted.
    works = await accel.probe_kvm(driver.settings, spec.image, 15.0)  # type: ignore[arg-type]
    assert verdict == ("kvm" if works else "tcg")
    assert await driver.guests.choose_accel(spec) == verdict  # cached: no second probe
