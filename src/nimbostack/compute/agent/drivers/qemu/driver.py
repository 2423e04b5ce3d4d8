"""The QEMU driver: one qemu-system-x86_64 per guest, managed over QMP, outliving the agent.

State lives in files (see layout.py), not in this object: a new driver on the
same instances path adopts every guest an earlier agent started.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import re
import socket
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import (
    ConsoleInfo,
    Driver,
    DriverError,
    GuestNotFound,
    GuestSpec,
    HostResources,
    MigrateData,
    Vif,
    VolumeAttachment,
)
from nimbostack.compute.agent.drivers.qemu import (
    console,
    disks,
    migrate,
    nics,
    snapshot,
    volumes,
)
from nimbostack.compute.agent.drivers.qemu.guests import Guests
from nimbostack.compute.agent.drivers.qemu.layout import Layout
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings
from nimbostack.compute.network_info import tap_name

LOG = logging.getLogger(__name__)
GIB = 1024**3


class QemuDriver(Driver):
    """Real guests on this host. Build it with ``QemuDriver(settings, instances_path)``."""

    def __init__(self, settings: QemuSettings, instances_path: Path) -> None:
        disks_path = Path(settings.disks_path) if settings.disks_path else None
        self.settings = settings
        self.layout = Layout(instances_path, disks_path)
        self.guests = Guests(settings, self.layout)
        self.host = socket.gethostname()
        self._version: int | None = None

    @classmethod
    def from_config(cls, conf: Any, instances_path: Path) -> QemuDriver:
        return cls(QemuSettings.from_conf(conf), instances_path)

    # ------------------------------------------------------------ host

    async def init_host(self, host: str) -> None:
        self.host = host
        self.layout.instances_path.mkdir(parents=True, exist_ok=True)
        for uuid in self.layout.known_uuids():
            paths = self.guests.paths(uuid)
            pid = self.guests.pid(paths)
            console.trim(paths.console_log, self.settings.console_log_max_bytes)
            LOG.info("guest %s: %s", uuid, f"adopted (pid {pid})" if pid else "not running")

    async def resources(self) -> HostResources:
        usage = os.statvfs(self.layout.disks_path if self.layout.disks_path.exists() else "/")
        return HostResources(
            hypervisor_hostname=self.host,
            hypervisor_type="QEMU",
            hypervisor_version=await self._qemu_version(),
            vcpus=os.cpu_count() or 1,
            memory_mb=_mem_total_mb(),
            local_gb=usage.f_blocks * usage.f_frsize // GIB,
            cpu_info={"arch": platform.machine(), "virt_type": self.settings.virt_type},
        )

    async def _qemu_version(self) -> int:
        if self._version is None:
            out = await disks.run_tool(self.settings.qemu_binary, "--version")
            found = re.search(r"version (\d+)\.(\d+)\.(\d+)", out)
            major, minor, micro = (int(x) for x in found.groups()) if found else (0, 0, 0)
            # Nova's encoding: 7.2.22 -> 7002022.
            self._version = major * 1_000_000 + minor * 1000 + micro
        return self._version

    async def list_guests(self) -> list[str]:
        return self.layout.known_uuids()

    async def power_state(self, uuid: str) -> int:
        paths = self.guests.paths(uuid)
        console.trim(paths.console_log, self.settings.console_log_max_bytes)
        return await self.guests.power_state(paths)

    # ------------------------------------------------------------ lifecycle

    async def spawn(self, spec: GuestSpec) -> None:
        paths = self.guests.paths(spec.uuid, must_exist=False)
        if self.guests.pid(paths) is not None:
            raise DriverError(f"guest {spec.uuid} already runs on this host")
        if spec.root_volume is None:  # a volume-backed guest has no image disk
            await disks.check_image(self.settings.qemu_img, spec.image)
        try:
            paths.make_dirs()
            paths.write_state(name=spec.name, rescue=False)
            await disks.create_all(self.settings.qemu_img, spec, paths)
            await self.guests.start(spec, paths)
        except BaseException:
            await self.destroy(spec.uuid)  # nothing half-built stays behind
            raise

    async def destroy(self, uuid: str, *, keep_disks: bool = False) -> None:
        paths = self.guests.paths(uuid, must_exist=False)
        await self.guests.kill(paths)
        await self.guests.unplug(paths)
        paths.qmp_socket.unlink(missing_ok=True)
        paths.serial_socket.unlink(missing_ok=True)
        paths.remove(keep_disks=keep_disks)

    async def power_off(self, uuid: str, *, clean_shutdown_seconds: float = 60.0) -> None:
        paths = self.guests.paths(uuid)
        await self.guests.shutdown(paths, clean_shutdown_seconds)

    async def power_on(self, spec: GuestSpec) -> None:
        paths = self.guests.paths(spec.uuid)
        if self.guests.pid(paths) is not None:
            if await self.guests.run_state(paths) == "paused":
                await self.guests.qmp(paths, "cont")
            return
        # A cold boot discards any saved RAM: its disk state would no longer match.
        paths.memory_state.unlink(missing_ok=True)
        await self.guests.start(spec, paths)

    async def reboot(self, spec: GuestSpec, *, hard: bool) -> None:
        paths = self.guests.paths(spec.uuid)
        run_state = await self.guests.run_state(paths)
        if hard and run_state in ("running", "paused"):
            await self.guests.qmp(paths, "system_reset")
            if run_state == "paused":
                await self.guests.qmp(paths, "cont")
            return
        # Soft: the guest shuts down cleanly (ACPI), then boots again.
        await self.guests.shutdown(paths, self.settings.clean_shutdown_timeout)
        await self.power_on(spec)

    async def pause(self, uuid: str) -> None:
        await self.guests.qmp(self.guests.paths(uuid), "stop")

    async def unpause(self, uuid: str) -> None:
        await self.guests.qmp(self.guests.paths(uuid), "cont")

    async def suspend(self, uuid: str) -> None:
        paths = self.guests.paths(uuid)
        partial = paths.memory_state.with_suffix(".part")
        await self.guests.qmp(paths, "stop")
        try:
            await self.guests.migrate_out(
                paths, f"exec:cat > {_quote(partial)}", timeout=self.settings.live_migration_timeout
            )
        except DriverError:
            await self.guests.qmp(paths, "cont")
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, paths.memory_state)
        await self.guests.kill(paths)

    async def resume(self, spec: GuestSpec) -> None:
        paths = self.guests.paths(spec.uuid)
        if not paths.memory_state.exists():
            raise DriverError(f"guest {spec.uuid} has no saved state to resume")
        await self.guests.start(spec, paths, incoming=f"exec:cat {_quote(paths.memory_state)}")
        try:
            if await self.guests.wait_incoming(paths) == "paused":
                await self.guests.qmp(paths, "cont")
        except DriverError:
            await self.guests.kill(paths)  # keep the saved state for another try
            raise
        paths.memory_state.unlink()

    # ------------------------------------------------------------ disks

    async def snapshot(self, uuid: str, target: Path) -> str:
        return await snapshot.snapshot(self.guests, uuid, target)

    async def rescue(self, spec: GuestSpec) -> None:
        await snapshot.rescue(self.guests, spec)

    async def unrescue(self, spec: GuestSpec) -> None:
        await snapshot.unrescue(self.guests, spec)

    async def rebuild(self, spec: GuestSpec) -> None:
        await snapshot.rebuild(self.guests, spec)

    # ------------------------------------------------------------ migration

    async def migrate_disk_and_power_off(self, spec: GuestSpec, dest_host: str) -> dict[str, Any]:
        return await migrate.migrate_disk_and_power_off(self.guests, spec)

    async def finish_migration(
        self, spec: GuestSpec, disk_info: dict[str, Any], *, resize: bool, power_on: bool
    ) -> None:
        await migrate.finish_migration(
            self.guests, spec, disk_info, resize=resize, power_on=power_on
        )

    async def confirm_migration(self, uuid: str) -> None:
        await migrate.confirm_migration(self.guests, uuid)

    async def finish_revert_migration(self, spec: GuestSpec, *, power_on: bool) -> None:
        await migrate.finish_revert_migration(self.guests, spec, power_on=power_on)

    async def pre_live_migration(self, spec: GuestSpec, migrate_data: MigrateData) -> MigrateData:
        return await migrate.pre_live_migration(self.guests, spec, migrate_data)

    async def live_migration(self, uuid: str, migrate_data: MigrateData) -> None:
        await migrate.live_migration(self.guests, uuid, migrate_data)

    async def post_live_migration(self, uuid: str) -> None:
        await migrate.post_live_migration(self.guests, uuid)

    # ------------------------------------------------------------ consoles

    async def console_output(self, uuid: str, length: int | None = None) -> str:
        paths = self.guests.paths(uuid)
        cap = self.settings.console_log_max_bytes
        console.trim(paths.console_log, cap)
        return await asyncio.to_thread(console.tail_lines, paths.console_log, length, cap)

    async def console(self, uuid: str) -> ConsoleInfo:
        paths = self.guests.paths(uuid)
        info = await self.guests.qmp(paths, "query-vnc")
        if not info.get("enabled") or not info.get("service"):
            raise DriverError(f"guest {uuid} has no VNC console")
        return ConsoleInfo(host=str(info["host"]), port=int(info["service"]), kind="vnc")

    # ------------------------------------------------------------ devices

    async def attach_volume(self, uuid: str, volume: VolumeAttachment) -> None:
        """Hot-plug into a running guest; a stopped one gets it from its spec when started."""
        paths = self.guests.paths(uuid)
        volumes.blockdev(volume)  # refuse a connection we cannot open, running or not
        if self.guests.pid(paths) is not None:
            await volumes.hot_plug(paths, volume)

    async def detach_volume(self, uuid: str, volume_id: str) -> None:
        paths = self.guests.paths(uuid)
        if self.guests.pid(paths) is not None:
            await volumes.unplug(paths, volume_id, self.settings.volume_detach_timeout)

    async def extend_volume(self, uuid: str, volume_id: str, size: int) -> None:
        paths = self.guests.paths(uuid)
        if self.guests.pid(paths) is None:
            raise GuestNotFound(f"guest {uuid} is not running")
        await volumes.extend(paths, volume_id, size)

    async def attach_interface(self, uuid: str, vif: Vif) -> None:
        """Hot-plug into a running guest; a stopped one gets it from its spec when started."""
        paths = self.guests.paths(uuid)
        if self.guests.pid(paths) is not None:
            await nics.hot_plug(paths, vif)

    async def detach_interface(self, uuid: str, port_id: str) -> None:
        paths = self.guests.paths(uuid)
        running = self.guests.pid(paths) is not None
        timeout = self.settings.interface_detach_timeout
        await nics.unplug(paths, port_id, tap_name(port_id), timeout, running=running)


def _mem_total_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def _quote(path: Path) -> str:
    # exec: URIs run through /bin/sh; instance paths are ours, but stay safe.
    return "'" + str(path).replace("'", "'\\''") + "'"
