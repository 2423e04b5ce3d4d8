"""A guest's disks: qcow2 root overlays on cached base images, ephemeral, swap, config drive.

The base image in the host's cache is only ever a read-only backing file; every
write of the guest lands in its overlay. A base is inspected again before each use
(core.diskimage): QEMU never gets near an image that is not its declared format or
that names other files, whatever the image service let through. Kernel and ramdisk
of a direct kernel boot are copied next to the disks so the guest can restart (or
move) even after the cache dropped them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, ImageFiles, ImageRefused
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.compute.configdrive import ConfigDriveError, build_config_drive
from nimbostack.core import diskimage
from nimbostack.core.diskimage.qemu_img import info as qemu_img_info
from nimbostack.core.process import spawn

GIB = 1024**3
INSPECT_TIMEOUT = diskimage.DEFAULT_TIMEOUT
_BOOTABLE_FORMATS = ("qcow2", "raw")
KERNEL = "kernel"
RAMDISK = "ramdisk"
EPHEMERAL = "disk.eph0"
SWAP = "disk.swap"
RESCUE_PREFIX = "rescue."


async def run_tool(*argv: str) -> str:
    """Run a host tool; a failure raises DriverError carrying its stderr."""
    process = await spawn(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip() or f"exit status {process.returncode}"
        raise DriverError(f"{Path(argv[0]).name} {argv[1]} failed: {message}")
    return out.decode("utf-8", "replace")


async def image_info(qemu_img: str, path: Path, disk_format: str) -> dict[str, Any]:
    """``qemu-img info`` of a disk this driver made, read as disk_format (no backing opened)."""
    try:
        return await qemu_img_info(path, disk_format, timeout=INSPECT_TIMEOUT, qemu_img=qemu_img)
    except diskimage.FormatError as exc:
        raise DriverError(f"{path.name}: {exc}") from None


async def inspect(qemu_img: str, image: ImageFiles, what: str = "image") -> diskimage.Inspection:
    """The base image checked again before use: its real format, and that it links nowhere."""
    assert image.path is not None
    try:
        return await diskimage.inspect(
            image.path, image.disk_format, timeout=INSPECT_TIMEOUT, qemu_img=qemu_img
        )
    except diskimage.FormatError as exc:
        raise ImageRefused(f"{what} {image.image_id} is refused: {exc}") from None


async def check_image(qemu_img: str, image: ImageFiles | None, what: str = "image") -> None:
    """Reject an image this host cannot (or must not) boot, with a message naming why."""
    if image is None or image.path is None:
        raise DriverError(f"the {what} has no disk file on this host")
    if image.disk_format not in _BOOTABLE_FORMATS:
        raise DriverError(
            f"{what} {image.image_id} has disk_format {image.disk_format!r}; "
            f"this host boots {' or '.join(_BOOTABLE_FORMATS)}"
        )
    for label, path in (("disk", image.path), ("kernel", image.kernel), ("ramdisk", image.ramdisk)):
        if path is not None and not path.is_file():
            raise DriverError(f"{what} {image.image_id}: its {label} file {path} is missing")
    found = await inspect(qemu_img, image, what)
    if image.disk_format == "raw" and found.virtual_size < 512:
        raise DriverError(f"{what} {image.image_id} is an empty raw image")


async def create_root(qemu_img: str, image: ImageFiles, dest: Path, root_gb: int) -> None:
    """A qcow2 overlay on the base image, grown to root_gb (0: the image's own size).

    The overlay names its base with an explicit format, and is created without
    opening the base (``-u``): qemu-img would otherwise follow the base's own links.
    """
    assert image.path is not None
    base_size = (await inspect(qemu_img, image)).virtual_size
    if root_gb and root_gb * GIB < base_size:
        raise DriverError(
            f"flavor root disk ({root_gb} GiB) is smaller than image {image.image_id} "
            f"({base_size} bytes)"
        )
    _remove(dest)
    argv = [qemu_img, "create", "-q", "-f", "qcow2", "-u", "-F", image.disk_format]
    argv += ["-b", str(image.path.resolve()), str(dest)]
    argv.append(f"{root_gb}G" if root_gb else str(base_size))
    await run_tool(*argv)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _sparse_file(path: Path, size_bytes: int) -> None:
    _remove(path)
    with path.open("wb") as handle:
        handle.truncate(size_bytes)  # sparse: costs no space until written


async def _make_raw(path: Path, size_bytes: int, *formatter: str) -> None:
    _sparse_file(path, size_bytes)
    if formatter:
        await run_tool(*formatter, str(path))


def _tool(name: str) -> str:
    # mkfs and mkswap live in /sbin, which a service's PATH may lack.
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if found is None:
        raise DriverError(f"host tool {name} not found")
    return found


async def create_local_disks(spec: GuestSpec, paths: GuestPaths) -> None:
    """Ephemeral (ext4, label ephemeral0) and swap disks of the flavor, if any."""
    if spec.ephemeral_gb:
        mkfs = (_tool("mkfs.ext4"), "-q", "-F", "-L", "ephemeral0")
        await _make_raw(paths.disk(EPHEMERAL), spec.ephemeral_gb * GIB, *mkfs)
    if spec.swap_mb:
        await _make_raw(paths.disk(SWAP), spec.swap_mb * 1024 * 1024, _tool("mkswap"))


def copy_boot_files(image: ImageFiles, paths: GuestPaths, prefix: str = "") -> None:
    """Copy (or hard-link) the kernel and ramdisk beside the guest's disks."""
    for name, source in ((KERNEL, image.kernel), (RAMDISK, image.ramdisk)):
        dest = paths.disk(prefix + name)
        dest.unlink(missing_ok=True)
        if source is None:
            continue
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)


async def build_config(spec: GuestSpec, paths: GuestPaths) -> None:
    """The config drive ISO (label config-2), when the spec carries one."""
    if spec.config_drive is None:
        paths.config_drive.unlink(missing_ok=True)
        return
    try:
        await asyncio.to_thread(build_config_drive, spec.config_drive, paths.config_drive)
    except (ConfigDriveError, ValueError) as exc:
        raise DriverError(f"config drive: {exc}") from None


async def create_all(qemu_img: str, spec: GuestSpec, paths: GuestPaths) -> None:
    """Every disk of a new guest (spawn, rebuild, block-migration destination).

    A guest booting from a volume has no local root disk (nor kernel files).
    """
    paths.make_dirs()
    if spec.root_volume is None:
        if spec.image is None:
            raise DriverError(f"guest {spec.uuid} has neither an image nor a root volume")
        await create_root(qemu_img, spec.image, paths.root_disk, spec.root_gb)
    if spec.image is not None:
        copy_boot_files(spec.image, paths)
    await create_local_disks(spec, paths)
    await build_config(spec, paths)
