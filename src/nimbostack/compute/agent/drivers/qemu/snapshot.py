"""Consistent copies of a root disk, and the actions that swap disks: rebuild, rescue.

A snapshot is taken with the guest's CPUs stopped (QMP ``stop`` drains and
flushes QEMU's block layer), so the copy is a point in time. ``qemu-img
convert`` flattens the overlay and its base (and nothing the base names, see
chain.py) into one standalone qcow2.
"""

from __future__ import annotations

import os
from pathlib import Path

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec
from nimbostack.compute.agent.drivers.qemu import chain, disks
from nimbostack.compute.agent.drivers.qemu.guests import Guests


async def snapshot(guests: Guests, uuid: str, target: Path) -> str:
    """Write the root disk to target as a standalone qcow2; returns "qcow2"."""
    paths = guests.paths(uuid)
    if not paths.root_disk.exists():
        raise DriverError(f"guest {uuid} has no root disk on this host")
    pause = await guests.run_state(paths) == "running"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    if pause:
        await guests.qmp(paths, "stop")
    try:
        # QEMU keeps its image lock; the paused guest cannot write meanwhile.
        await chain.flatten(guests.settings.qemu_img, paths.root_disk, partial)
    finally:
        if pause:
            await guests.qmp(paths, "cont")
    os.replace(partial, target)
    return "qcow2"


async def rebuild(guests: Guests, spec: GuestSpec) -> None:
    """A fresh root disk from spec.image (ephemeral disks kept), then boot."""
    paths = guests.paths(spec.uuid)
    await disks.check_image(guests.settings.qemu_img, spec.image)
    assert spec.image is not None
    await guests.kill(paths)
    paths.memory_state.unlink(missing_ok=True)
    _drop_rescue(paths.disk_dir)
    paths.write_state(rescue=False)
    await disks.create_root(guests.settings.qemu_img, spec.image, paths.root_disk, spec.root_gb)
    disks.copy_boot_files(spec.image, paths)
    await disks.build_config(spec, paths)
    await guests.start(spec, paths)


async def rescue(guests: Guests, spec: GuestSpec) -> None:
    """Boot the rescue image (default: the guest's own image) with the root disk second."""
    paths = guests.paths(spec.uuid)
    image = spec.rescue_image or spec.image
    await disks.check_image(guests.settings.qemu_img, image, "rescue image")
    assert image is not None
    await guests.shutdown(paths, min(guests.settings.clean_shutdown_timeout, 30.0))
    rescue_disk = paths.disk(disks.RESCUE_PREFIX + "disk")
    await disks.create_root(guests.settings.qemu_img, image, rescue_disk, 0)
    disks.copy_boot_files(image, paths, disks.RESCUE_PREFIX)
    paths.write_state(rescue=True)
    await guests.start(spec, paths)


async def unrescue(guests: Guests, spec: GuestSpec) -> None:
    """Stop the rescue system and boot the guest from its own disk again."""
    paths = guests.paths(spec.uuid)
    await guests.kill(paths)
    _drop_rescue(paths.disk_dir)
    paths.write_state(rescue=False)
    await guests.start(spec, paths)


def _drop_rescue(disk_dir: Path) -> None:
    for leftover in disk_dir.glob(disks.RESCUE_PREFIX + "*"):
        leftover.unlink()
