"""The [qemu] options: acceleration, binaries, machine, consoles, live migration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimbostack.core.config import Opt, register

register(
    "qemu",
    "The QEMU hypervisor driver (KVM or TCG guests managed over QMP).",
    [
        Opt(
            "virt_type",
            "auto",
            "Acceleration: kvm, qemu (TCG), or auto (KVM only if a probe guest boots under it).",
            choices=("auto", "kvm", "qemu"),
        ),
        Opt("qemu_binary", "qemu-system-x86_64", "The QEMU system emulator."),
        Opt("qemu_img", "qemu-img", "The qemu-img tool."),
        Opt(
            "machine_type",
            "pc",
            "Machine type (pc: the guest kernel has IDE but no AHCI for the config drive).",
        ),
        Opt("cpu_model", "", "-cpu value (empty: host under KVM, QEMU's default under TCG)."),
        Opt("vnc_listen", "127.0.0.1", "Address guests' VNC servers listen on."),
        Opt(
            "console_log_max_bytes",
            1048576,
            "Cap of each guest's serial console log; older output is dropped.",
            type="int",
            minimum=4096,
        ),
        Opt(
            "disks_path",
            "",
            "Where guests' disks live (empty: the instances path). Hosts that share this "
            "directory live-migrate with shared storage.",
        ),
        Opt("live_migration_address", "127.0.0.1", "Address incoming live migrations listen on."),
        Opt("live_migration_port_min", 49152, "First port for live migrations.", type="int"),
        Opt("live_migration_port_max", 49215, "Last port for live migrations.", type="int"),
        Opt(
            "live_migration_timeout",
            300.0,
            "Seconds a live migration may take before it is cancelled.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "clean_shutdown_timeout",
            60.0,
            "Seconds an ACPI shutdown may take (soft reboot) before a forced stop.",
            type="float",
            minimum=0.0,
        ),
        Opt(
            "volume_detach_timeout",
            60.0,
            "Seconds a guest has to release a volume's disk (DEVICE_DELETED) on detach.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "interface_detach_timeout",
            60.0,
            "Seconds a guest has to release a NIC (DEVICE_DELETED) on interface detach.",
            type="float",
            minimum=1.0,
        ),
        Opt(
            "accel_probe_timeout",
            20.0,
            "Seconds the KVM probe guest has to print its boot marker.",
            type="float",
            minimum=1.0,
        ),
    ],
)


@dataclass(frozen=True)
class QemuSettings:
    """The [qemu] section as a typed value (tests build it directly)."""

    virt_type: str = "auto"
    qemu_binary: str = "qemu-system-x86_64"
    qemu_img: str = "qemu-img"
    machine_type: str = "pc"
    cpu_model: str = ""
    vnc_listen: str = "127.0.0.1"
    console_log_max_bytes: int = 1048576
    disks_path: str = ""
    live_migration_address: str = "127.0.0.1"
    live_migration_port_min: int = 49152
    live_migration_port_max: int = 49215
    live_migration_timeout: float = 300.0
    clean_shutdown_timeout: float = 60.0
    accel_probe_timeout: float = 20.0
    volume_detach_timeout: float = 60.0
    interface_detach_timeout: float = 60.0

    @classmethod
    def from_conf(cls, conf: Any) -> QemuSettings:
        """Read the [qemu] section of a resolved ``core.config.Config``."""
        return cls(**conf.qemu.as_dict())
