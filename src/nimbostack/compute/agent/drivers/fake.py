"""The fake hypervisor: in-memory guests whose power states follow the actions.

No processes, disks or images (``needs_image_files`` is False), so one process can
simulate many hosts for scale tests. Each operation sleeps ``delay_ms``; a test can make
the next operations fail with `fail_next` (for example to drive a reschedule).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimbostack.compute import states
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

# Live migration between fake hosts of one process: guests in flight by uuid.
_IN_FLIGHT: dict[str, FakeGuest] = {}


@dataclass
class FakeGuest:
    spec: GuestSpec
    power: int = states.RUNNING
    boots: int = 1
    console: list[str] = field(default_factory=list)
    volumes: dict[str, VolumeAttachment] = field(default_factory=dict)
    volume_sizes: dict[str, int] = field(default_factory=dict)
    vifs: dict[str, Vif] = field(default_factory=dict)
    rescued: bool = False


class FakeDriver(Driver):
    """One simulated host."""

    needs_image_files = False

    def __init__(
        self,
        hostname: str,
        *,
        vcpus: int = 64,
        memory_mb: int = 262144,
        local_gb: int = 4000,
        delay_ms: int = 0,
    ) -> None:
        self.hostname = hostname
        self.size = (vcpus, memory_mb, local_gb)
        self.delay = delay_ms / 1000.0
        self.guests: dict[str, FakeGuest] = {}
        self.migrating: dict[str, FakeGuest] = {}  # resize source copies awaiting confirm
        self.failures: defaultdict[str, list[DriverError]] = defaultdict(list)
        self.calls: list[tuple[str, str]] = []

    def fail_next(
        self,
        operation: str,
        message: str = "injected failure",
        error: type[DriverError] = DriverError,
    ) -> None:
        """Make the next call of ``operation`` (spawn, reboot, ...) raise ``error``."""
        self.failures[operation].append(error(message))

    async def _step(self, operation: str, uuid: str = "") -> None:
        self.calls.append((operation, uuid))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures.get(operation):
            raise self.failures[operation].pop(0)

    def _guest(self, uuid: str) -> FakeGuest:
        try:
            return self.guests[uuid]
        except KeyError:
            raise GuestNotFound(f"no guest {uuid} on {self.hostname}") from None

    def _boot(self, guest: FakeGuest) -> None:
        guest.power = states.RUNNING
        # A short boot log, like the real guest's serial console prints before its marker.
        guest.console += [
            f"[    0.000000] fake guest {guest.spec.hostname}: boot {guest.boots}",
            "[    0.000000] Command line: console=ttyS0",
            "[    0.100000] Run /init as init process",
        ]
        guest.console.append(
            f"NIMBOSTACK-BOOT hostname={guest.spec.hostname} ips= uptime=0 boot_id={guest.boots}"
        )

    # -- host ----------------------------------------------------------------------
    async def init_host(self, host: str) -> None:
        self.calls.append(("init_host", host))

    async def resources(self) -> HostResources:
        vcpus, memory_mb, local_gb = self.size
        return HostResources(
            hypervisor_hostname=self.hostname,
            hypervisor_type="fake",
            hypervisor_version=1000,
            vcpus=vcpus,
            memory_mb=memory_mb,
            local_gb=local_gb,
            cpu_info={"arch": "x86_64", "model": "fake", "vendor": "nimbostack"},
        )

    async def list_guests(self) -> list[str]:
        return list(self.guests)

    async def power_state(self, uuid: str) -> int:
        return self._guest(uuid).power

    # -- lifecycle -----------------------------------------------------------------
    async def spawn(self, spec: GuestSpec) -> None:
        await self._step("spawn", spec.uuid)
        guest = FakeGuest(spec=spec, volumes={v.volume_id: v for v in spec.volumes})
        self._boot(guest)
        self.guests[spec.uuid] = guest

    async def destroy(self, uuid: str, *, keep_disks: bool = False) -> None:
        await self._step("destroy", uuid)
        self.migrating.pop(uuid, None)
        if self.guests.pop(uuid, None) is None:
            raise GuestNotFound(f"no guest {uuid} on {self.hostname}")

    async def power_off(self, uuid: str, *, clean_shutdown_seconds: float = 60.0) -> None:
        await self._step("power_off", uuid)
        self._guest(uuid).power = states.SHUTDOWN

    async def power_on(self, spec: GuestSpec) -> None:
        await self._step("power_on", spec.uuid)
        guest = self._guest(spec.uuid)
        guest.spec = spec  # what it was last started with (its volumes...)
        guest.boots += 1
        self._boot(guest)

    async def reboot(self, spec: GuestSpec, *, hard: bool) -> None:
        await self._step("reboot", spec.uuid)
        guest = self._guest(spec.uuid)
        guest.spec = spec  # what it was last started with (its volumes...)
        guest.boots += 1
        self._boot(guest)

    async def pause(self, uuid: str) -> None:
        await self._step("pause", uuid)
        self._guest(uuid).power = states.PAUSED_POWER

    async def unpause(self, uuid: str) -> None:
        await self._step("unpause", uuid)
        self._guest(uuid).power = states.RUNNING

    async def suspend(self, uuid: str) -> None:
        await self._step("suspend", uuid)
        self._guest(uuid).power = states.SUSPENDED_POWER

    async def resume(self, spec: GuestSpec) -> None:
        await self._step("resume", spec.uuid)
        self._guest(spec.uuid).power = states.RUNNING

    async def snapshot(self, uuid: str, target: Path) -> str:
        await self._step("snapshot", uuid)
        self._guest(uuid)
        await asyncio.to_thread(target.write_bytes, b"fake disk of " + uuid.encode())
        return "raw"

    async def rescue(self, spec: GuestSpec) -> None:
        await self._step("rescue", spec.uuid)
        guest = self._guest(spec.uuid)
        guest.rescued = True
        self._boot(guest)

    async def unrescue(self, spec: GuestSpec) -> None:
        await self._step("unrescue", spec.uuid)
        guest = self._guest(spec.uuid)
        guest.rescued = False
        self._boot(guest)

    async def rebuild(self, spec: GuestSpec) -> None:
        await self._step("rebuild", spec.uuid)
        guest = self._guest(spec.uuid)
        guest.spec = spec
        guest.boots += 1
        self._boot(guest)

    # -- moves ---------------------------------------------------------------------
    async def migrate_disk_and_power_off(self, spec: GuestSpec, dest_host: str) -> dict[str, Any]:
        await self._step("migrate_disk_and_power_off", spec.uuid)
        guest = self.guests.pop(spec.uuid, None) or self._guest(spec.uuid)
        guest.power = states.SHUTDOWN
        self.migrating[spec.uuid] = guest  # kept aside until confirm or revert
        return {"source": self.hostname, "disks": ["root"]}

    async def finish_migration(
        self, spec: GuestSpec, disk_info: dict[str, Any], *, resize: bool, power_on: bool
    ) -> None:
        await self._step("finish_migration", spec.uuid)
        guest = FakeGuest(spec=spec, power=states.SHUTDOWN)
        if power_on:
            self._boot(guest)
        self.guests[spec.uuid] = guest

    async def confirm_migration(self, uuid: str) -> None:
        await self._step("confirm_migration", uuid)
        self.migrating.pop(uuid, None)

    async def finish_revert_migration(self, spec: GuestSpec, *, power_on: bool) -> None:
        await self._step("finish_revert_migration", spec.uuid)
        old = self.migrating.pop(spec.uuid, None)
        guest = old or FakeGuest(spec=spec)
        guest.spec = spec
        guest.power = states.SHUTDOWN
        if power_on:
            self._boot(guest)
        self.guests[spec.uuid] = guest

    async def pre_live_migration(self, spec: GuestSpec, migrate: MigrateData) -> MigrateData:
        await self._step("pre_live_migration", spec.uuid)
        return MigrateData(
            dest_host=migrate.dest_host,
            dest_address="127.0.0.1",
            dest_port=0,
            block_migration=migrate.block_migration,
            shared_storage=migrate.shared_storage,
            details={"dest_hostname": self.hostname},
        )

    async def live_migration(self, uuid: str, migrate: MigrateData) -> None:
        await self._step("live_migration", uuid)
        guest = self._guest(uuid)
        _IN_FLIGHT[uuid] = guest
        target = _REGISTRY.get(str(migrate.details.get("dest_hostname", "")))
        if target is not None:
            target.guests[uuid] = _IN_FLIGHT.pop(uuid)

    async def post_live_migration(self, uuid: str) -> None:
        await self._step("post_live_migration", uuid)
        self.guests.pop(uuid, None)
        _IN_FLIGHT.pop(uuid, None)

    # -- consoles and attachments --------------------------------------------------
    async def console_output(self, uuid: str, length: int | None = None) -> str:
        text = "\n".join(self._guest(uuid).console) + "\n"
        if length is None:
            return text
        # Nova's tail: the last ``length`` pieces of the log split on newlines (the
        # trailing newline counts as one, so length=3 is two lines and their newlines).
        return "\n".join(text.split("\n")[-length:]) if length > 0 else ""

    async def console(self, uuid: str) -> ConsoleInfo:
        self._guest(uuid)
        return ConsoleInfo(host="127.0.0.1", port=5900)

    async def attach_volume(self, uuid: str, volume: VolumeAttachment) -> None:
        await self._step("attach_volume", uuid)
        self._guest(uuid).volumes[volume.volume_id] = volume

    async def detach_volume(self, uuid: str, volume_id: str) -> None:
        await self._step("detach_volume", uuid)
        self._guest(uuid).volumes.pop(volume_id, None)

    async def extend_volume(self, uuid: str, volume_id: str, size: int) -> None:
        await self._step("extend_volume", uuid)
        guest = self._guest(uuid)
        if volume_id not in guest.volumes:
            raise DriverError(f"guest {uuid} has no volume {volume_id}")
        guest.volume_sizes[volume_id] = size

    async def attach_interface(self, uuid: str, vif: Vif) -> None:
        await self._step("attach_interface", uuid)
        self._guest(uuid).vifs[vif.port_id] = vif

    async def detach_interface(self, uuid: str, port_id: str) -> None:
        await self._step("detach_interface", uuid)
        self._guest(uuid).vifs.pop(port_id, None)


# Every fake host of this process by hypervisor hostname (live migration finds its peer).
_REGISTRY: dict[str, FakeDriver] = {}


def make(hostname: str, **size: int) -> FakeDriver:
    driver = FakeDriver(hostname, **size)
    _REGISTRY[hostname] = driver
    return driver
