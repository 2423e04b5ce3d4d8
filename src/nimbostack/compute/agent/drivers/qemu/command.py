"""The QEMU command line of a guest, derived only from its spec and its files.

Source and destination of a live migration must build identical device sets,
so nothing here depends on the host beyond the paths and the accelerator. An
overlay's base is a node of its own (``-blockdev``, see chain.py) that the overlay's
``-drive`` names as its backing: QEMU opens exactly those two files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from nimbostack.compute.agent.drivers.base import GuestSpec
from nimbostack.compute.agent.drivers.qemu import chain, disks, nics, volumes
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings

# The guest's console is the serial port (read by the cloud); tty0 for VNC users.
_KERNEL_ARGS = "console=tty0 console=ttyS0"


@dataclass(frozen=True)
class Boot:
    """How to start the process this time."""

    accel: str  # "kvm" or "tcg"
    incoming: str | None = None  # a -incoming URI: resume or live-migration target
    rescue: bool = False
    bases: Mapping[str, chain.Base] = field(default_factory=dict)  # drive id -> its base


def _drive(path: str, drive_id: str, fmt: str, base: chain.Base | None = None) -> list[str]:
    args: list[str] = []
    backing = ""
    if base is not None:
        node = chain.node_name(drive_id)
        args += ["-blockdev", json.dumps(chain.blockdev(base, node))]
        backing = f",backing={node}"
    return [
        *args,
        "-drive",
        f"file={path},if=none,id={drive_id},format={fmt},discard=unmap{backing}",
        "-device",
        f"virtio-blk-pci,drive={drive_id},id=dev-{drive_id}",
    ]


def _disk_args(spec: GuestSpec, paths: GuestPaths, boot: Boot) -> list[str]:
    args: list[str] = []
    if boot.rescue:
        # The rescue system boots first; the guest's own disk is attached second.
        rescue_disk = str(paths.disk(disks.RESCUE_PREFIX + "disk"))
        args += _drive(rescue_disk, "rescue", "qcow2", boot.bases.get("rescue"))
    if spec.root_volume is None:
        args += _drive(str(paths.root_disk), "root", "qcow2", boot.bases.get("root"))
    if spec.ephemeral_gb:
        args += _drive(str(paths.disk(disks.EPHEMERAL)), "eph0", "raw")
    if spec.swap_mb:
        args += _drive(str(paths.disk(disks.SWAP)), "swap", "raw")
    args += volumes.command_args(spec.volumes, paths)
    if paths.config_drive.exists():
        # The guest kernel has no AHCI: the CD-ROM sits on the pc machine's IDE bus.
        args += [
            "-drive",
            f"file={paths.config_drive},if=none,id=config,format=raw,media=cdrom,readonly=on",
            "-device",
            "ide-cd,drive=config,bus=ide.1,id=dev-config",
        ]
    return args


def _kernel_args(spec: GuestSpec, paths: GuestPaths, rescue: bool) -> list[str]:
    prefix = disks.RESCUE_PREFIX if rescue else ""
    kernel = paths.disk(prefix + disks.KERNEL)
    if not kernel.exists():
        return []  # the disk image boots itself (SeaBIOS -> its boot loader)
    image = spec.rescue_image if rescue else spec.image
    extra = str((image.properties if image else {}).get("os_command_line", "") or "")
    args = ["-kernel", str(kernel), "-append", f"{_KERNEL_ARGS} {extra}".strip()]
    ramdisk = paths.disk(prefix + disks.RAMDISK)
    if ramdisk.exists():
        args += ["-initrd", str(ramdisk)]
    return args


def build(spec: GuestSpec, paths: GuestPaths, settings: QemuSettings, boot: Boot) -> list[str]:
    """The full argv (without the daemonize/pidfile flags process.launch adds)."""
    cpu = settings.cpu_model or ("host" if boot.accel == "kvm" else "")
    args = [
        settings.qemu_binary,
        "-name",
        f"guest={spec.name or spec.uuid},debug-threads=on",
        "-uuid",
        spec.uuid,
        "-machine",
        f"{settings.machine_type},accel={boot.accel}",
        *(["-cpu", cpu] if cpu else []),
        "-m",
        str(spec.memory_mb),
        "-smp",
        str(spec.vcpus),
        "-nodefaults",
        "-no-user-config",
        "-msg",
        "timestamp=on",
        "-qmp",
        f"unix:{paths.qmp_socket},server=on,wait=off",
        # The serial port is a socket one may log in through; whatever the guest
        # writes is also appended to the console log, connected or not.
        "-chardev",
        f"socket,id=serial0,path={paths.serial_socket},server=on,wait=off,"
        f"logfile={paths.console_log},logappend=on",
        "-serial",
        "chardev:serial0",
        "-vga",
        "std",
        # VNC display 0 upwards: QEMU takes the first free port from 5900.
        "-vnc",
        f"{settings.vnc_listen}:0,to=2000",
        "-device",
        "virtio-rng-pci,id=rng0",
        *_kernel_args(spec, paths, boot.rescue),
        *_disk_args(spec, paths, boot),
        *nics.command_args(spec.vifs, spec.vcpus),
    ]
    if boot.incoming:
        args += ["-incoming", boot.incoming]
    return args
