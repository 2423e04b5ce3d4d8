"""Benchmark of the QEMU driver: boot latency against the physical limit, memory, migration.

(a) the guest booted directly by qemu-system-x86_64 (same kernel, disk overlay,
config drive, machine and accelerator), start -> boot marker on the serial log;
(b) QemuDriver.spawn -> boot marker; p50 over N boots each. Then the per-guest
memory overhead (QEMU RSS minus guest RAM after boot) and the downtime of a
live migration between two driver "hosts" on this machine.

Run: ``.venv/bin/python bench/qemu_boot.py [--boots 10] [--virt-type qemu]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from nimbostack.compute.agent.drivers.base import GuestSpec, ImageFiles, MigrateData
from nimbostack.compute.agent.drivers.qemu import QemuDriver, QemuSettings, command, disks
from nimbostack.compute.agent.drivers.qemu.layout import Layout
from nimbostack.compute.agent.drivers.qemu.process import rss_bytes
from nimbostack.compute.configdrive import openstack_metadata_files
from nimbostack.guest_image.builder import build_guest_image, default_cache_dir

MARKER = b"NIMBOSTACK-BOOT "
MEMORY_MB = 256


def _spec(image: ImageFiles, name: str) -> GuestSpec:
    guest = str(uuid.uuid4())
    files = openstack_metadata_files(guest, name, name, {}, None, None)
    return GuestSpec(guest, name, name, 1, MEMORY_MB, 1, image=image, config_drive=files)


def _has_marker(log: Path) -> bool:
    try:
        return MARKER in log.read_bytes()
    except FileNotFoundError:
        return False


async def _wait_marker(log: Path, timeout: float = 120.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _has_marker(log):
            return time.monotonic()
        await asyncio.sleep(0.02)
    raise TimeoutError(f"no boot marker in {log}")


async def direct_boot(image: ImageFiles, work: Path, settings: QemuSettings, accel: str) -> float:
    """The same guest started by hand: plain qemu-system-x86_64, no driver around it."""
    spec = _spec(image, "direct")
    paths = Layout(work).guest(spec.uuid)
    await disks.create_all(settings.qemu_img, spec, paths)  # disks made before the clock starts
    argv = command.build(spec, paths, settings, command.Boot(accel=accel))
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        return await _wait_marker(paths.console_log) - started
    finally:
        process.kill()
        await process.wait()


def _overhead_bytes(pid: int) -> int:
    """QEMU's resident memory outside the guest's RAM block.

    RSS alone undercounts: the guest touches only part of its RAM. The RAM block
    is the one anonymous mapping at least as large as the guest's memory.
    """
    guest_kb = 0
    size_kb = 0
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        field, _, value = line.partition(":")
        if field == "Size":
            size_kb = int(value.split()[0])
        elif field == "Rss" and size_kb >= MEMORY_MB * 1024:
            guest_kb += int(value.split()[0])
    return rss_bytes(pid) - guest_kb * 1024


async def driver_boot(driver: QemuDriver, image: ImageFiles) -> tuple[float, int]:
    """spawn -> marker, and QEMU's RSS beyond guest RAM once booted."""
    spec = _spec(image, "driver")
    started = time.monotonic()
    await driver.spawn(spec)
    paths = driver.layout.guest(spec.uuid)
    took = await _wait_marker(paths.console_log) - started
    pid = driver.guests.pid(paths)
    overhead = _overhead_bytes(pid) if pid else 0
    await driver.destroy(spec.uuid)
    return took, overhead


async def migration_downtime(
    image: ImageFiles, work: Path, settings: QemuSettings
) -> dict[str, float]:
    source = QemuDriver(settings, work / "src")
    dest = QemuDriver(settings, work / "dst")
    spec = _spec(image, "migrant")
    await source.spawn(spec)
    await _wait_marker(source.layout.guest(spec.uuid).console_log)
    data = await dest.pre_live_migration(spec, MigrateData("dst", block_migration=True))
    started = time.monotonic()
    await source.live_migration(spec.uuid, data)
    total = time.monotonic() - started
    await source.post_live_migration(spec.uuid)
    await dest.destroy(spec.uuid)
    stats = data.details["stats"]
    return {"downtime_ms": float(stats["downtime_ms"]), "total_s": total}


def _p50(values: list[float]) -> float:
    return statistics.median(values)


async def main(boots: int, virt_type: str) -> None:
    built = build_guest_image(default_cache_dir())
    image = ImageFiles("guest", "qcow2", built.disk, built.kernel, built.ramdisk)
    settings = QemuSettings(virt_type=virt_type)
    work = Path(tempfile.mkdtemp(prefix="nimbo-bench-"))
    try:
        driver = QemuDriver(settings, work / "host")
        accel = await driver.guests.choose_accel(_spec(image, "probe"))
        direct = [await direct_boot(image, work / "direct", settings, accel) for _ in range(boots)]
        results = [await driver_boot(driver, image) for _ in range(boots)]
        spawned = [took for took, _ in results]
        overhead = [rss / 1024**2 for _, rss in results]
        migration = await migration_downtime(image, work / "migration", settings)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"QEMU driver benchmark ({boots} boots each, accel {accel}, {MEMORY_MB} MiB guest)\n")
    print("| measure | p50 | min | max |")
    print("|---|---|---|---|")
    for label, values, unit in (
        ("direct qemu-system-x86_64 -> boot marker", direct, "s"),
        ("driver.spawn -> boot marker", spawned, "s"),
        ("per-guest memory overhead (RSS outside guest RAM)", overhead, "MiB"),
    ):
        print(f"| {label} | {_p50(values):.2f} {unit} | {min(values):.2f} | {max(values):.2f} |")
    print(f"| spawn overhead over direct boot (p50) | {_p50(spawned) - _p50(direct):+.2f} s | | |")
    print(
        f"| live migration (block) downtime | {migration['downtime_ms']:.0f} ms | "
        f"total {migration['total_s']:.2f} s | |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boots", type=int, default=10)
    parser.add_argument("--virt-type", default="auto", choices=("auto", "kvm", "qemu"))
    args = parser.parse_args()
    asyncio.run(main(args.boots, args.virt_type))
