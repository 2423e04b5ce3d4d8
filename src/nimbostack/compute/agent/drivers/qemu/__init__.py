"""The QEMU hypervisor driver: real KVM or TCG guests managed over QMP."""

from nimbostack.compute.agent.drivers.qemu import options as options
from nimbostack.compute.agent.drivers.qemu.driver import QemuDriver as QemuDriver
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings as QemuSettings

__all__ = ["QemuDriver", "QemuSettings"]
