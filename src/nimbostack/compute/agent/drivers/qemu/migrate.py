"""Moving guests between hosts: cold migration / resize, and live migration over TCP.

Cold: the source stops the guest and sets its disks aside in ``<uuid>_resize``
(kept until confirm, restored on revert); the destination copies them into its
own disks path and grows the root disk for a resize. Hosts here share one
machine, so the copy reads the source's directory directly.

Live: the destination starts QEMU with ``-incoming tcp:ADDR:PORT``; the source
runs QMP ``migrate``. With shared storage both open the same disk files; with
block migration the destination gets fresh overlays on the same base image and
QEMU copies the overlay contents along with RAM.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
from dataclasses import replace
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, MigrateData
from nimbostack.compute.agent.drivers.qemu import chain, disks
from nimbostack.compute.agent.drivers.qemu.guests import Guests
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths

LOG = logging.getLogger(__name__)


async def migrate_disk_and_power_off(guests: Guests, spec: GuestSpec) -> dict[str, Any]:
    paths = guests.paths(spec.uuid)
    await guests.shutdown(paths, guests.settings.clean_shutdown_timeout)
    aside = guests.layout.resize_dir(spec.uuid)
    if aside.exists():
        raise DriverError(f"guest {spec.uuid} already has a migration in progress")
    aside.parent.mkdir(parents=True, exist_ok=True)
    paths.disk_dir.rename(aside)
    paths.write_state(migrated_away=True)
    files = sorted(entry.name for entry in aside.iterdir() if entry.is_file())
    return {"source_dir": str(aside), "files": files, "accel": paths.read_state().get("accel")}


async def finish_migration(
    guests: Guests, spec: GuestSpec, disk_info: dict[str, Any], *, resize: bool, power_on: bool
) -> None:
    paths = guests.paths(spec.uuid, must_exist=False)
    source = Path(str(disk_info.get("source_dir", "")))
    await asyncio.to_thread(_copy_disks, source, list(disk_info.get("files", [])), paths)
    if resize:
        await chain.grow(guests.settings.qemu_img, paths.root_disk, spec.root_gb)
        if spec.ephemeral_gb and not paths.disk(disks.EPHEMERAL).exists():
            await disks.create_local_disks(replace(spec, swap_mb=0), paths)
    paths.write_state(migrated_away=False, name=spec.name)
    if power_on:
        await guests.start(spec, paths)


def _copy_disks(source: Path, files: list[str], paths: GuestPaths) -> None:
    if not source.is_dir():
        raise DriverError(f"migration source disks {source} are not reachable from this host")
    paths.make_dirs()
    for name in files:
        # The overlay keeps its absolute backing path: the same base image on this host.
        shutil.copyfile(source / name, paths.disk(name))


async def confirm_migration(guests: Guests, uuid: str) -> None:
    paths = guests.paths(uuid, must_exist=False)
    shutil.rmtree(guests.layout.resize_dir(uuid).parent, ignore_errors=True)
    # On a resize to the same host the guest now runs from this very directory.
    if paths.read_state().get("migrated_away"):
        await guests.kill(paths)
        await guests.unplug(paths)
        # Our disks went aside (removed above). A disks_path outside the run directory
        # may be shared with the destination, whose disks now sit where ours were.
        paths.remove(keep_disks=not paths.disk_dir.is_relative_to(paths.run_dir))


async def finish_revert_migration(guests: Guests, spec: GuestSpec, *, power_on: bool) -> None:
    paths = guests.paths(spec.uuid, must_exist=False)
    aside = guests.layout.resize_dir(spec.uuid)
    if not aside.is_dir():
        raise DriverError(f"guest {spec.uuid} has no disks set aside to revert to")
    await guests.kill(paths)
    shutil.rmtree(paths.disk_dir, ignore_errors=True)
    paths.disk_dir.parent.mkdir(parents=True, exist_ok=True)
    aside.rename(paths.disk_dir)
    aside.parent.rmdir()
    paths.make_dirs()
    paths.write_state(migrated_away=False, name=spec.name)
    if power_on:
        await guests.start(spec, paths)


def _free_port(address: str, low: int, high: int) -> int:
    for port in range(low, high + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                continue
            return port
    raise DriverError(f"no free live-migration port in {low}-{high}")


async def pre_live_migration(guests: Guests, spec: GuestSpec, data: MigrateData) -> MigrateData:
    """Destination: disks ready, QEMU listening; returns where the source sends to."""
    paths = guests.paths(spec.uuid, must_exist=False)
    if guests.pid(paths) is not None:
        raise DriverError(f"guest {spec.uuid} already runs on this host")
    if data.block_migration:
        await disks.check_image(guests.settings.qemu_img, spec.image)
        await disks.create_all(guests.settings.qemu_img, spec, paths)
    elif not paths.root_disk.exists():
        raise DriverError(
            f"shared storage: {paths.root_disk} does not exist here; "
            "the hosts do not share [qemu] disks_path (use block migration)"
        )
    settings = guests.settings
    address = settings.live_migration_address
    port = _free_port(address, settings.live_migration_port_min, settings.live_migration_port_max)
    paths.make_dirs()
    paths.write_state(accel=data.details.get("accel"), incoming=True, name=spec.name)
    await guests.start(spec, paths, incoming=f"tcp:{address}:{port}")
    return replace(data, dest_address=address, dest_port=port)


async def live_migration(guests: Guests, uuid: str, data: MigrateData) -> dict[str, Any]:
    """Source: stream the running guest; returns QEMU's statistics (downtime in ms)."""
    paths = guests.paths(uuid)
    if not data.dest_port:
        raise DriverError("live migration needs the destination's address and port")
    info = await guests.migrate_out(
        paths,
        f"tcp:{data.dest_address}:{data.dest_port}",
        timeout=guests.settings.live_migration_timeout,
        block=data.block_migration,
    )
    stats = {
        "downtime_ms": info.get("downtime"),
        "total_time_ms": info.get("total-time"),
        "ram_transferred": info.get("ram", {}).get("transferred"),
        "block_migration": data.block_migration,
    }
    paths.write_state(migrated_away=True, shared_disks=not data.block_migration, stats=stats)
    data.details["stats"] = stats
    LOG.info("guest %s live-migrated to %s: %s", uuid, data.dest_host, stats)
    return stats


async def post_live_migration(guests: Guests, uuid: str) -> None:
    """Source: stop the left-behind QEMU; remove local files (disks unless shared)."""
    paths = guests.paths(uuid)
    state = paths.read_state()
    await guests.kill(paths)
    await guests.unplug(paths)
    paths.remove(keep_disks=bool(state.get("shared_disks")))
