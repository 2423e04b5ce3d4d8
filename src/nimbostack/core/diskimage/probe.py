"""Image headers read by us, before any QEMU tool opens the data: the format and its links.

QEMU tools open whatever a header names (a qcow2 backing file or external data
file, the extents and parent of a VMDK), before they print a word. So the format
comes from magic bytes, never from qemu's probing, and every header field that can
name another file is refused here, from the bytes alone. All of it is blocking
file work: callers run it in a thread.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEAD_BYTES = 64 * 1024  # covers the qcow2 header extensions of any sane cluster size
_ISO_MAGIC_AT = 0x8001
_QCOW2_DATA_FILE_BIT = 1 << 2
_QCOW2_EXT_END = 0
_QCOW2_EXT_DATA_FILE = 0x44415441
_VMDK_SAFE_TYPES = ("monolithicSparse", "streamOptimized")
# QEMU looks for a parent in the text at this offset of a sparse VMDK, whatever the header says.
_VMDK_PARENT_SCAN = (0x200, 20 * 512)
_VMDK_MAX_DESCRIPTOR = 1024 * 1024
_VMDK_EXTENT = re.compile(r"^(RW|RDONLY|NOACCESS)\s+\d+\s+(\S+)", re.MULTILINE)
_VMDK_CREATE_TYPE = re.compile(r'^createType\s*=\s*"([^"]*)"', re.MULTILINE)


class FormatError(Exception):
    """The data is not what it claims to be, or uses a feature that is refused."""


@dataclass(frozen=True)
class Header:
    """The first bytes of a file, its last sector, and its size."""

    head: bytes
    footer: bytes
    size: int


def read_header(handle: BinaryIO) -> Header:
    head = handle.read(HEAD_BYTES)
    size = handle.seek(0, 2)
    footer = b""
    if size >= 512:
        handle.seek(size - 512)
        footer = handle.read(512)
    return Header(head, footer, size)


def detect(header: Header) -> str:
    """The format the magic bytes say (qemu-img's names; ``raw`` when none match)."""
    head = header.head
    magics = (
        (b"QFI\xfb", "qcow2"),
        (b"KDMV", "vmdk"),
        (b"# Disk DescriptorFile", "vmdk"),
        (b"COWD", "vmdk3"),
        (b"QED\0", "qed"),
        (b"conectix", "vpc"),
        (b"vhdxfile", "vhdx"),
        (b"LUKS\xba\xbe", "luks"),
    )
    for magic, name in magics:
        if head.startswith(magic):
            return name
    if header.footer.startswith(b"conectix"):
        return "vpc"  # a fixed VHD has its only header at the end
    if len(head) >= 68 and struct.unpack_from("<I", head, 64)[0] == 0xBEDA107F:
        return "vdi"
    if head[_ISO_MAGIC_AT : _ISO_MAGIC_AT + 5] == b"CD001":
        return "iso"
    return "raw"


def check_links(handle: BinaryIO, header: Header, found: str) -> None:
    """Refuse any header of format ``found`` that names a file outside the image."""
    if found == "qcow2":
        check_qcow2(header.head)
    elif found == "vmdk":
        check_vmdk(handle, header.head)


def check_qcow2(head: bytes) -> None:
    """Refuse a qcow2 header with a backing file or an external data file (any version)."""
    if len(head) < 72:
        raise FormatError("Image data is not a valid qcow2 file: header too short.")
    version, backing_offset = struct.unpack_from(">IQ", head, 4)
    if version not in (2, 3):
        raise FormatError(f"Image data is a qcow2 file of unknown version {version}.")
    # The json: form of a backing file is still a backing file: any name is refused.
    if backing_offset:
        raise FormatError("Image data is a qcow2 file with a backing file, which is refused.")
    extensions_at = 72
    if version == 3:
        if len(head) < 104:
            raise FormatError("Image data is not a valid qcow2 file: header too short.")
        (incompatible,) = struct.unpack_from(">Q", head, 72)
        if incompatible & _QCOW2_DATA_FILE_BIT:
            raise FormatError(
                "Image data is a qcow2 file with an external data file, which is refused."
            )
        (extensions_at,) = struct.unpack_from(">I", head, 100)
    if _QCOW2_EXT_DATA_FILE in _qcow2_extensions(head, extensions_at):
        raise FormatError(
            "Image data is a qcow2 file naming an external data file, which is refused."
        )


def _qcow2_extensions(head: bytes, offset: int) -> list[int]:
    """The types of the header extensions that follow the qcow2 header."""
    found: list[int] = []
    while offset + 8 <= len(head):
        kind, length = struct.unpack_from(">II", head, offset)
        if kind == _QCOW2_EXT_END:
            break
        found.append(kind)
        offset += 8 + (length + 7) // 8 * 8
    return found


def check_vmdk(handle: BinaryIO, head: bytes) -> None:
    """Accept only a self-contained sparse VMDK: no descriptor file, extents or parent."""
    if not head.startswith(b"KDMV"):
        # A descriptor file is nothing but names of other files (its extents).
        raise FormatError("VMDK descriptor files are refused; upload a monolithic VMDK.")
    if len(head) < 44:
        raise FormatError("Image data is not a valid VMDK file: header too short.")
    capacity, _grain, desc_sector, desc_sectors = struct.unpack_from("<QQQQ", head, 12)
    if capacity == 0:
        # QEMU then takes the whole disk layout from the embedded descriptor's extents.
        raise FormatError("VMDK images whose extents come from their descriptor are refused.")
    if desc_sector:
        if desc_sectors * 512 > _VMDK_MAX_DESCRIPTOR:
            raise FormatError("VMDK image with an oversized embedded descriptor is refused.")
        _check_vmdk_descriptor(_read_text(handle, desc_sector * 512, desc_sectors * 512))
    start, length = _VMDK_PARENT_SCAN
    if "parentFileNameHint" in _read_text(handle, start, length):
        raise FormatError("VMDK images with a parent disk are refused.")


def _check_vmdk_descriptor(text: str) -> None:
    create_type = _VMDK_CREATE_TYPE.search(text)
    if create_type is None or create_type.group(1) not in _VMDK_SAFE_TYPES:
        raise FormatError("Only monolithicSparse and streamOptimized VMDK images are accepted.")
    extents = _VMDK_EXTENT.findall(text)
    if len(extents) != 1 or extents[0][1] != "SPARSE":
        raise FormatError("VMDK images with external extents are refused.")
    if "parentFileNameHint" in text:
        raise FormatError("VMDK images with a parent disk are refused.")


def _read_text(handle: BinaryIO, offset: int, length: int) -> str:
    """A NUL-terminated text region of the file (as QEMU reads it)."""
    handle.seek(offset)
    data = handle.read(length)
    return data.split(b"\0", 1)[0].decode("latin-1")


def examine(path: Path) -> str:
    """Detect the format of ``path`` and refuse links in its header (blocking)."""
    with path.open("rb") as handle:
        header = read_header(handle)
        found = detect(header)
        check_links(handle, header, found)
    return found
