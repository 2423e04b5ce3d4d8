"""The hypervisor driver interface: what the agent asks of a host's hypervisor.

The agent prepares everything a guest needs (image files from its base-image cache,
the config-drive contents, network and volume attachments) into a ``GuestSpec`` and
hands it to the driver. Drivers never call other services and never see the database;
they manage guests on this host and report what the host has.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class DriverError(Exception):
    """A driver operation failed; the message is shown as the instance fault."""


class GuestNotFound(DriverError):
    """The driver has no guest with that uuid on this host."""


class ImageRefused(DriverError):
    """The image is not its declared format or names files outside itself: no host uses it."""


@dataclass(frozen=True)
class HostResources:
    """What this host offers; the agent turns it into placement inventory."""

    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    vcpus: int
    memory_mb: int
    local_gb: int
    host_ip: str = "127.0.0.1"
    cpu_info: dict[str, Any] = field(default_factory=dict)
    traits: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageFiles:
    """A guest's image as local files in the host's base-image cache (read-only)."""

    image_id: str
    disk_format: str
    path: Path | None = None  # the disk image (None for the fake driver)
    kernel: Path | None = None  # set when the image has kernel_id: direct kernel boot
    ramdisk: Path | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Vif:
    """One network interface to plug: its port, MAC, and the host device to attach."""

    port_id: str
    mac: str
    bridge: str | None = None
    tap: str | None = None
    mtu: int = 1500
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VolumeAttachment:
    """A volume to attach: how to reach it on this host (from the volume service)."""

    volume_id: str
    device: str
    driver_volume_type: str
    connection: dict[str, Any] = field(default_factory=dict)
    boot_index: int | None = None  # 0: the guest boots from it (no local root disk)


@dataclass(frozen=True)
class GuestSpec:
    """Everything a driver needs to build, rebuild or restart one guest."""

    uuid: str
    name: str
    hostname: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap_mb: int = 0
    image: ImageFiles | None = None
    config_drive: dict[str, bytes] | None = None  # path inside the drive -> content
    vifs: tuple[Vif, ...] = ()
    volumes: tuple[VolumeAttachment, ...] = ()
    extra_specs: dict[str, str] = field(default_factory=dict)
    rescue_image: ImageFiles | None = None

    @property
    def root_volume(self) -> VolumeAttachment | None:
        """The volume the guest boots from, if its root disk is a volume."""
        return next((v for v in self.volumes if v.boot_index == 0), None)


@dataclass(frozen=True)
class ConsoleInfo:
    """Where a guest's graphical console listens on this host."""

    host: str
    port: int
    kind: str = "vnc"


@dataclass(frozen=True)
class MigrateData:
    """What the source and destination hosts exchange during a live migration."""

    dest_host: str
    dest_address: str = ""
    dest_port: int = 0
    block_migration: bool = False
    shared_storage: bool = True
    details: dict[str, Any] = field(default_factory=dict)


class Driver(abc.ABC):
    """One hypervisor on one host. Every method is async and safe to run concurrently
    for different guests; the agent serialises operations on the same guest."""

    #: whether spawn needs image data on local disk (the fake driver does not)
    needs_image_files: bool = True

    @abc.abstractmethod
    async def init_host(self, host: str) -> None:
        """Start-up: adopt guests that are still running from before a restart."""

    @abc.abstractmethod
    async def resources(self) -> HostResources: ...

    @abc.abstractmethod
    async def list_guests(self) -> list[str]:
        """Uuids of the guests this driver knows on this host."""

    @abc.abstractmethod
    async def power_state(self, uuid: str) -> int:
        """A power state from compute.states (RUNNING, SHUTDOWN, PAUSED_POWER, ...)."""

    @abc.abstractmethod
    async def spawn(self, spec: GuestSpec) -> None:
        """Create disks and start the guest; return once it is running."""

    @abc.abstractmethod
    async def destroy(self, uuid: str, *, keep_disks: bool = False) -> None:
        """Stop the guest and remove it (and its disks unless ``keep_disks``)."""

    @abc.abstractmethod
    async def power_off(self, uuid: str, *, clean_shutdown_seconds: float = 60.0) -> None:
        """Clean shutdown (ACPI) for up to ``clean_shutdown_seconds``, then a forced stop."""

    @abc.abstractmethod
    async def power_on(self, spec: GuestSpec) -> None: ...

    @abc.abstractmethod
    async def reboot(self, spec: GuestSpec, *, hard: bool) -> None: ...

    @abc.abstractmethod
    async def pause(self, uuid: str) -> None: ...

    @abc.abstractmethod
    async def unpause(self, uuid: str) -> None: ...

    @abc.abstractmethod
    async def suspend(self, uuid: str) -> None:
        """Save RAM and device state to disk and free the host's CPU and memory."""

    @abc.abstractmethod
    async def resume(self, spec: GuestSpec) -> None: ...

    @abc.abstractmethod
    async def snapshot(self, uuid: str, target: Path) -> str:
        """Write a consistent copy of the root disk to ``target``; returns its disk_format."""

    @abc.abstractmethod
    async def rescue(self, spec: GuestSpec) -> None:
        """Boot ``spec.rescue_image`` with the original root disk attached second."""

    @abc.abstractmethod
    async def unrescue(self, spec: GuestSpec) -> None: ...

    @abc.abstractmethod
    async def rebuild(self, spec: GuestSpec) -> None:
        """Recreate the root disk from ``spec.image`` and start the guest again."""

    @abc.abstractmethod
    async def migrate_disk_and_power_off(self, spec: GuestSpec, dest_host: str) -> dict[str, Any]:
        """Cold migration / resize, source side: stop the guest, hand over its disks."""

    @abc.abstractmethod
    async def finish_migration(
        self, spec: GuestSpec, disk_info: dict[str, Any], *, resize: bool, power_on: bool
    ) -> None:
        """Destination side: take the disks (grown for a resize) and start the guest."""

    @abc.abstractmethod
    async def confirm_migration(self, uuid: str) -> None:
        """Source side: forget the old copy after a confirmed resize or migration."""

    @abc.abstractmethod
    async def finish_revert_migration(self, spec: GuestSpec, *, power_on: bool) -> None:
        """Source side: restore the old copy after a revert."""

    @abc.abstractmethod
    async def pre_live_migration(self, spec: GuestSpec, migrate: MigrateData) -> MigrateData:
        """Destination side: prepare to receive; returns where to send the state."""

    @abc.abstractmethod
    async def live_migration(self, uuid: str, migrate: MigrateData) -> None:
        """Source side: move the running guest; returns once it runs on the destination."""

    @abc.abstractmethod
    async def post_live_migration(self, uuid: str) -> None:
        """Source side: clean up after the guest left."""

    @abc.abstractmethod
    async def console_output(self, uuid: str, length: int | None = None) -> str:
        """The serial console log, its last ``length`` lines if given."""

    @abc.abstractmethod
    async def console(self, uuid: str) -> ConsoleInfo: ...

    @abc.abstractmethod
    async def attach_volume(self, uuid: str, volume: VolumeAttachment) -> None: ...

    @abc.abstractmethod
    async def detach_volume(self, uuid: str, volume_id: str) -> None: ...

    @abc.abstractmethod
    async def extend_volume(self, uuid: str, volume_id: str, size: int) -> None:
        """Grow an attached volume's disk to ``size`` bytes while the guest runs."""

    @abc.abstractmethod
    async def attach_interface(self, uuid: str, vif: Vif) -> None: ...

    @abc.abstractmethod
    async def detach_interface(self, uuid: str, port_id: str) -> None: ...
