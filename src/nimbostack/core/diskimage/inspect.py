"""The image safety verdict: is this data really its declared disk_format, and self-contained?

Both ends of an image's life ask the same question: the image service before it
accepts data, and every compute host before it lets QEMU near a file. The order
matters: magic bytes and header links first (probe.py, no QEMU code involved),
then ``qemu-img info`` with the detected format under limits (qemu_img.py) for the
virtual size and a second look at the same links.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nimbostack.core.diskimage import probe
from nimbostack.core.diskimage.probe import FormatError
from nimbostack.core.diskimage.qemu_img import info as qemu_img_info

DEFAULT_TIMEOUT = 60.0
# OpenStack disk_format -> the format the bytes must have. ami/ari/aki are raw bytes.
EXPECTED = {
    "raw": "raw",
    "ami": "raw",
    "ari": "raw",
    "aki": "raw",
    "iso": "iso",
    "qcow2": "qcow2",
    "vmdk": "vmdk",
    "vhd": "vpc",
    "vhdx": "vhdx",
    "vdi": "vdi",
}


@dataclass(frozen=True)
class Inspection:
    """What the data is: its real format (qemu-img's name) and its virtual size in bytes."""

    format: str
    virtual_size: int


def expected_format(disk_format: str) -> str:
    expected = EXPECTED.get(disk_format)
    if expected is None:
        raise FormatError(f"Disk format {disk_format} cannot be verified.")
    return expected


def check_header(path: Path, disk_format: str) -> str:
    """The magic-byte verdict alone (blocking): the real format, else FormatError."""
    expected = expected_format(disk_format)
    found = probe.examine(path)
    # An ISO 9660 image is a raw disk as far as QEMU is concerned.
    if found != expected and not (expected == "raw" and found == "iso"):
        raise FormatError(
            f"Image data does not match the declared disk_format {disk_format}: "
            f"it looks like {found}."
        )
    return found


async def inspect(
    path: Path, disk_format: str, *, timeout: float = DEFAULT_TIMEOUT, qemu_img: str = "qemu-img"
) -> Inspection:
    """Check ``path`` against ``disk_format``; FormatError says why it is refused."""
    found = await asyncio.to_thread(check_header, path, disk_format)
    qemu_fmt = "raw" if found == "iso" else found
    info = await qemu_img_info(path, qemu_fmt, timeout=timeout, qemu_img=qemu_img)
    check_info(info, path, qemu_fmt)
    if qemu_fmt == "raw":
        # qemu-img rounds raw sizes up to a sector; raw data is exactly its own size.
        size = await asyncio.to_thread(lambda: path.stat().st_size)
        return Inspection(found, size)
    return Inspection(found, int(info.get("virtual-size") or 0))


def check_info(info: dict[str, Any], path: Path, qemu_fmt: str) -> None:
    """The second look: what qemu-img itself reports about links to other files."""
    if info.get("format") != qemu_fmt:
        raise FormatError(f"Image data is not a valid {qemu_fmt} file.")
    if info.get("backing-filename") or info.get("full-backing-filename"):
        raise FormatError("Image data has a backing file, which is refused.")
    specific = (info.get("format-specific") or {}).get("data") or {}
    if specific.get("data-file"):
        raise FormatError("Image data has an external data file, which is refused.")
    if qemu_fmt == "vmdk":
        if specific.get("create-type") not in ("monolithicSparse", "streamOptimized"):
            raise FormatError("Only monolithicSparse and streamOptimized VMDK images are accepted.")
        for extent in specific.get("extents") or []:
            if Path(str(extent.get("filename", ""))).name != path.name:
                raise FormatError("VMDK images with external extents are refused.")
