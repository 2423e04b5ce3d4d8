"""A guest's disks: qcow2 root overlays on cached base images, ephemeral, swap, config drive.

The base image in the host's cache is only ever a read-only backing file; every
write of the guest lands in its overlay. Kernel and ramdisk of a direct kernel
boot are copied next to the disks so the guest can restart (or move) even after
the cache dropped them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

from nimbostack.compute.agent.drivers.base import DriverError, GuestSpec, ImageFiles
from nimbostack.compute.agent.drivers.qemu.layout import GuestPaths
from nimbostack.compute.configdrive import ConfigDriveError, build_config_drive
from nimbostack.core.process import spawn

GIB = 1024**3
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
    """``qemu-img info`` of an image read as disk_format (-U: it may be in use)."""
    out = await run_tool(qemu_img, "info", "-U", "--output=json", "-f", disk_format, str(path))
    info: dict[str, Any] = json.loads(out)
    return info


async def check_image(qemu_img: str, image: ImageFiles | None, what: str = "image") -> None:
    """Reject an image this host cannot boot, with a message naming the problem."""
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
    try:
        info = await image_info(qemu_img, image.path, image.disk_format)
    except DriverError as exc:
        raise DriverError(
            f"{what} {image.image_id} is not a valid {image.disk_format} image: {exc}"
        ) from None
    if image.disk_format == "raw" and info.get("virtual-size", 0) < 512:
        raise DriverError(f"{what} {image.image_id} is an empty raw image")


async def create_root(qemu_img: str, image: ImageFiles, dest: Path, root_gb: int) -> None:
    """A qcow2 overlay on the base image, grown to root_gb (0: the image's own size)."""
    assert image.path is not None
    info = await image_info(qemu_img, image.path, image.disk_format)
    base_size = int(info["virtual-size"])
    if root_gb and root_gb * GIB < base_size:
        raise DriverError(
            f"flavor root disk ({root_gb} GiB) is smaller than image {image.image_id} "
            f"({base_size} bytes)"
        )
    _remove(dest)
    argv = [qemu_img, "create", "-q", "-f", "qcow2", "-F", image.disk_format]
    argv += ["-b", str(image.path.resolve()), str(dest)]
    if root_gb:
        argv.append(f"{root_gb}G")
    await run_tool(*argv)


async def resize(qemu_img: str, path: Path, size_gb: int) -> None:
    """Grow a disk (never shrink: the guest's filesystem would be cut)."""
    info = await image_info(qemu_img, path, "qcow2")
    if size_gb * GIB > int(info["virtual-size"]):
        await run_tool(qemu_img, "resize", "-q", "-f", "qcow2", str(path), f"{size_gb}G")


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
    """Every disk of a new guest (spawn, rebuild, block-migration destination)."""
    assert spec.image is not None
    paths.make_dirs()
    await create_root(qemu_img, spec.image, paths.root_disk, spec.root_gb)
    copy_boot_files(spec.image, paths)
    await create_local_disks(spec, paths)
    await build_config(spec, paths)
