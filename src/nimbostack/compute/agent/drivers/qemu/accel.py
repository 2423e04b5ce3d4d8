"""Choosing the accelerator: KVM only where a probe guest really boots under it.

``/dev/kvm`` existing proves little: under nested virtualisation guests may hang
at kernel start. With ``virt_type = auto`` the first kernel-booting image is
started once under KVM with a short timeout; if its boot marker reaches the
serial console KVM is used, otherwise TCG. The verdict is cached per host (in
the instances path), keyed by the host kernel and the QEMU binary.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from nimbostack.compute.agent.drivers.base import ImageFiles
from nimbostack.compute.agent.drivers.qemu.options import QemuSettings
from nimbostack.core.process import spawn

LOG = logging.getLogger(__name__)
BOOT_MARKER = b"NIMBOSTACK-BOOT "
CACHE_FILE = ".accel-probe.json"
KVM = "kvm"
TCG = "tcg"


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def _cache_key(settings: QemuSettings) -> str:
    binary = shutil.which(settings.qemu_binary) or settings.qemu_binary
    try:
        stamp = int(Path(binary).stat().st_mtime)
    except OSError:
        stamp = 0
    return f"{platform.release()}|{binary}|{stamp}"


def cached_verdict(settings: QemuSettings, instances_path: Path) -> str | None:
    try:
        data = json.loads((instances_path / CACHE_FILE).read_text())
    except (OSError, ValueError):
        return None
    verdict = data.get("accel")
    if data.get("key") == _cache_key(settings) and verdict in (KVM, TCG):
        return str(verdict)
    return None


def _store_verdict(settings: QemuSettings, instances_path: Path, verdict: str, took: float) -> None:
    instances_path.mkdir(parents=True, exist_ok=True)
    record = {"key": _cache_key(settings), "accel": verdict, "probe_seconds": round(took, 2)}
    (instances_path / CACHE_FILE).write_text(json.dumps(record) + "\n")


async def probe_kvm(settings: QemuSettings, image: ImageFiles, timeout: float) -> bool:
    """Boot image's kernel under KVM (no disks, no NIC); True if the marker appears."""
    assert image.kernel is not None
    with tempfile.TemporaryDirectory(prefix="nimbo-kvm-probe-") as tmp:
        log = Path(tmp) / "console.log"
        argv = [settings.qemu_binary, "-machine", f"{settings.machine_type},accel=kvm"]
        argv += ["-cpu", "host", "-m", "256", "-nodefaults", "-no-user-config"]
        argv += ["-display", "none", "-nic", "none", "-serial", f"file:{log}"]
        argv += ["-kernel", str(image.kernel), "-append", "console=ttyS0"]
        if image.ramdisk is not None:
            argv += ["-initrd", str(image.ramdisk)]
        process = await spawn(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await _wait_for_marker(process, log, timeout)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()


def _has_marker(log: Path) -> bool:
    try:
        return BOOT_MARKER in log.read_bytes()
    except FileNotFoundError:
        return False


async def _wait_for_marker(process: asyncio.subprocess.Process, log: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _has_marker(log):
            return True
        if process.returncode is not None:
            return False
        await asyncio.sleep(0.1)
    return False


async def choose(settings: QemuSettings, instances_path: Path, image: ImageFiles | None) -> str:
    """The accelerator for the next guest: "kvm" or "tcg"."""
    if settings.virt_type == "kvm":
        return KVM
    if settings.virt_type == "qemu" or not kvm_usable():
        return TCG
    cached = cached_verdict(settings, instances_path)
    if cached is not None:
        return cached
    if image is None or image.kernel is None:
        # Only a kernel image has a marker to wait for: decide later, run TCG meanwhile.
        return TCG
    started = time.monotonic()
    works = await probe_kvm(settings, image, settings.accel_probe_timeout)
    verdict = KVM if works else TCG
    took = time.monotonic() - started
    LOG.info(
        "KVM probe: guest %s in %.1f s; using %s", "booted" if works else "hung", took, verdict
    )
    _store_verdict(settings, instances_path, verdict, took)
    return verdict
