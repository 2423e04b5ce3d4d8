"""Hypervisor drivers: the interface (base.py), the fake driver, and QEMU."""
